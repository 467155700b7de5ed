// Package messaging reads and writes the browser's native-messaging frames.
// A frame is a 4-byte native-order length followed by one UTF-8 JSON object.
package messaging
