// Package messaging reads and writes the browser's native-messaging frames: a 4-byte
// native-order length followed by that many bytes, capped in each direction.
// It knows nothing of what a frame holds; the messages are in nativehost/protocol.
package messaging
