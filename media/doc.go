// Package media carries a call's audio between the browser leg (WebRTC to the
// softphone window, on this machine only) and the PBX leg — plain RTP/AVP, SDES-SRTP
// (RTP/SAVP with a=crypto) or WebRTC media (ICE + DTLS-SRTP) as the account's srtp
// setting says — without transcoding: both legs are negotiated to the same codec and
// payloads are forwarded.
package media
