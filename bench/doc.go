// Package bench holds the benchmarks of `make bench`: the host against a peer softphone
// (baresip, from Debian) measured in the same run on the same dev PBX, the host's
// relay alone at 50 and 200 calls, and (firstword.mjs, real Chromium and Firefox ESR) the
// first word heard and what a call costs in the browser's processes; after the run a table puts each figure beside its
// goal (issue 14) and beside baresip's, and bench/out/latest.csv holds it. Each benchmark
// does a fixed amount of work per run; run them with -benchtime 1x.
package bench
