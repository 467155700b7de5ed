package phone

import (
	"time"

	"github.com/tabphone/tabphone/nativehost/config"
)

// The phone's state as it reports it: its own types, in SIP terms. The host translates
// them to the wire (nativehost/host mapping.go); nothing here knows the wire.

// Direction says who placed a call.
type Direction int

// Directions; the zero value is no direction (a bug).
const (
	Outgoing Direction = iota + 1
	Incoming
)

// CallState is where a call is in its life.
type CallState int

// Call states; the zero value is no state (a bug).
const (
	CallCalling   CallState = iota + 1 // our INVITE is out, no ringing yet
	CallRinging                        // outgoing: 180 without media; incoming: ringing here
	CallEarly                          // outgoing: 183 with media, relayed
	CallConnected                      // answered
	CallEnded                          // over; the call does not change again
)

// Registration is an account's registration state.
type Registration int

// Registration states; the zero value is unregistered.
const (
	RegUnregistered Registration = iota
	RegRegistering
	RegRegistered
	RegFailed // AccountState.Err says why
)

// Status is the user's availability for incoming calls.
type Status int

// Statuses; the zero value is available.
const (
	Available Status = iota
	DND              // Do not disturb: incoming calls are rejected with the account's dnd_code
)

// StatusFromConfig reads config.json's status (config checked it; empty is available).
func StatusFromConfig(s string) Status {
	if s == config.StatusDND {
		return DND
	}
	return Available
}

// EndCause says why a call ended.
type EndCause int

// End causes; the zero value means the call has not ended.
const (
	EndHangup        EndCause = iota + 1 // we ended it: the user, a transfer, a replaced call, the session timer
	EndRemoteHangup                      // the other side sent BYE
	EndCancelled                         // we gave up before the answer (CANCEL)
	EndRejected                          // the other side or the PBX answered the INVITE with a failure (SIPCode)
	EndNoAnswer                          // the PBX never answered the INVITE
	EndNotSent                           // the INVITE could not be sent (Err)
	EndNoCommonCodec                     // the answer's SDP had no codec we offered
	EndMissed                            // incoming: the caller gave up, or the INVITE timed out
	EndDeclined                          // incoming: the user declined (SIPCode is what we answered)
	EndDND                               // incoming: rejected by Do not disturb (SIPCode is the account's code)
	EndAnswerFailed                      // incoming: our 200 could not be sent
	EndMediaSecurity                     // the media security of the offer or answer is not what the account allows (Err says how)
	EndNoMedia                           // we ended it: no media from the PBX for the account's rtp_timeout
)

// EndReason is why a call ended.
type EndReason struct {
	Cause   EndCause
	SIPCode int   // the final status that decided it, if one did
	Err     error // what went wrong, for EndNotSent and EndMediaSecurity
}

// CallInfo is one call as the phone reports it.
type CallInfo struct {
	ID        string
	Account   string
	Direction Direction
	Number    string
	Name      string // the caller's display name, if any
	State     CallState
	Codec     string

	AutoAnswerAt time.Time // when auto-answer picks up (incoming); zero without auto-answer
	StartedAt    time.Time // the INVITE went out or arrived
	AnsweredAt   time.Time // zero until connected
	EndedAt      time.Time // zero until ended
	End          EndReason // Cause is zero until ended

	Muted        bool
	NoMedia      bool // connected, but the PBX has sent no media for the account's rtp_timeout
	Held         bool // we put the call on hold
	RemoteHold   bool // the other side put us on hold
	Transferring bool // a transfer of this call (ours, or the other side's REFER) is under way

	TransferredBy string // the number of the party whose REFER made this outgoing call
	Replaces      string // the id of our call this incoming call took over (RFC 3891)
}

// AccountState is one account as the phone reports it. It never holds the password.
type AccountState struct {
	ID           string
	Default      bool // the account a dial that names none goes out from (default_account)
	User         string
	DisplayName  string // as configured: the name the popup shows for the account
	Domain       string
	Transport    string // as configured: udp, tcp, tls, ws, wss (empty: udp)
	Registration Registration
	Err          error // why the last registration failed, while Registration is RegFailed
	AutoAnswer   config.AutoAnswer
	DNDCode      int
	Voicemail    *Voicemail // the last message summary heard, nil before the first
	Lamps        []LampInfo // the busy lamps of the account's blf list, in its order
	PickupPrefix string     // the PBX's directed pickup code (pickup_prefix)
}

// Voicemail is an account's mailbox as the PBX last reported it (RFC 3842 message
// summary).
type Voicemail struct {
	Waiting   bool
	New       int
	Old       int
	UrgentNew int
	UrgentOld int
}
