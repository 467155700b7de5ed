package phone

import (
	"testing"
	"time"

	"github.com/tabphone/tabphone/internal/devpbxtest"
)

// TestReferToAMissingNumberIsReportedAsNotFound: we follow a REFER to a number the PBX
// does not know; the NOTIFY that ends the transfer says "SIP/2.0 404 Not Found" (the
// scenario checks it), the status's own phrase, and the call stays until the
// transferor hangs up.
func TestReferToAMissingNumberIsReportedAsNotFound(t *testing.T) {
	k, _, ev := kamailioPhone(t, `,"auto_answer":{"enabled":true,"seconds":0},"accept_refer":true`)
	done := sipp(t, "transferor_to_missing.xml", k.Addr, 0)
	in := connectedIncoming(t, ev)
	wait(t, "transferor's scenario (NOTIFYs 100 Trying, 404 Not Found)", done)
	devpbxtest.WaitFor(t, "the call ended by the transferor's BYE", 5*time.Second, func() bool {
		c, ok := endedWith(ev, in.ID)
		return ok && c.End.Cause == EndRemoteHangup
	})
}

func TestReasonPhrases(t *testing.T) {
	for code, want := range map[int]string{
		100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK", 202: "Accepted",
		302: "Moved Temporarily", 404: "Not Found", 408: "Request Timeout", 422: "Session Interval Too Small",
		480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist", 486: "Busy Here",
		487: "Request Terminated", 488: "Not Acceptable Here", 489: "Bad Event", 491: "Request Pending",
		503: "Service Unavailable", 603: "Decline", 606: "Not Acceptable",
		// Codes without a phrase of their own get their class's (RFC 3261 21).
		199: "Early Dialog Terminated", 299: "Successful", 399: "Redirection", 499: "Request Failure",
		599: "Server Failure", 699: "Global Failure", 99: "Unknown", 700: "Unknown",
	} {
		if got := reasonPhrase(code); got != want {
			t.Errorf("%d: %q, want %q", code, got, want)
		}
	}
}
