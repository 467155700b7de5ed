// Package protocol is the native-messaging protocol between the extension and the host:
// message type names, the envelope, each message's data, and the error codes.
// It is the wire format of docs/protocol.md and nothing else; the phone's own state is
// converted to it in one place, nativehost/host's mapping.go.
package protocol
