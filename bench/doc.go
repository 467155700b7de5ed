// Package bench holds the benchmarks of `make bench`: the host against a peer softphone
// (baresip, from Debian) measured in the same run on the same dev PBX, printed as ratios
// (host ÷ peer; below 1 the host needs less). Each benchmark does a fixed amount of work
// per run; run them with -benchtime 1x.
package bench
