// Package phone is the SIP user agent: it registers the configured accounts, places
// and ends calls with sipgo, and hands each call's media to the media package.
// It reports its state in its own types (state.go) and fails with plain Go errors
// (errors.go); it never sees the wire protocol, which the host translates to.
package phone
