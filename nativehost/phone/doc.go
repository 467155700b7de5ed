// Package phone is the SIP user agent: it registers the configured accounts and places
// and ends calls with sipgo, and hands each call's media to the media package.
// The host's protocol layer reads its state and sends it intents.
package phone
