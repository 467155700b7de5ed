// Package host is the native-messaging host: it reads the browser's requests, drives the
// phone, and sends the phone's state and events back as frames.
// mapping.go is the one place where the phone's state and all errors become the wire's.
package host
