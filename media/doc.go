// Package media carries a call's audio between the browser leg (WebRTC to the
// softphone window, on this machine only) and the PBX leg (RTP over UDP), without
// transcoding: both legs are negotiated to the same codec and payloads are forwarded.
package media
