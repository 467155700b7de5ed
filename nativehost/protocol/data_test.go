package protocol

import (
	"encoding/json"
	"testing"
)

// TestWireNames pins the JSON of every field (docs/protocol.md): the extension and outside
// tools read these names, so a renamed Go field must not rename the wire.
func TestWireNames(t *testing.T) {
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"call", Call{ID: "c1", Account: "work", Direction: DirectionIncoming, Number: "1002", Name: "Alice", State: CallEnded,
			AutoAnswerAt: 5, Codec: "PCMU", Muted: true, RemoteHold: true, Held: true, Transferring: true,
			StartedAt: 1, AnsweredAt: 2, EndedAt: 3, EndReason: &EndReason{SIPCode: 486, Message: EndDeclined},
			TransferredBy: "2001", Replaces: "c0"},
			`{"id":"c1","account":"work","direction":"incoming","number":"1002","name":"Alice","state":"ended","auto_answer_at":5,"codec":"PCMU","muted":true,"remote_hold":true,"held":true,"transferring":true,"started_at":1,"answered_at":2,"ended_at":3,"end_reason":{"sip_code":486,"message":"Declined"},"transferred_by":"2001","replaces":"c0"}`},
		{"call, optional fields left out", Call{ID: "c2", Account: "work", Direction: DirectionOutgoing, Number: "600", State: CallCalling, StartedAt: 1},
			`{"id":"c2","account":"work","direction":"outgoing","number":"600","state":"calling","started_at":1}`},
		{"account", AccountState{ID: "work", User: "1001", Domain: "pbx.example.com", Transport: "tls", Registration: RegFailed,
			Error:      &ErrorBody{Code: CodeSIP, SIPCode: 403, Message: "Wrong password"},
			AutoAnswer: AutoAnswer{Enabled: true, Seconds: 3, FromPBX: true}, DNDCode: 486,
			Voicemail: &Voicemail{Waiting: true, New: 2, Old: 8, UrgentNew: 1, UrgentOld: 1}},
			`{"id":"work","user":"1001","domain":"pbx.example.com","transport":"tls","registration":"failed","error":{"code":"sip","message":"Wrong password","sip_code":403},"auto_answer":{"enabled":true,"seconds":3,"from_pbx":true},"dnd_code":486,"voicemail":{"waiting":true,"new":2,"old":8,"urgent_new":1,"urgent_old":1}}`},
		{"state", State{Accounts: []AccountState{}, Status: StatusDND, Calls: []Call{}, ConfigError: &ErrorBody{Code: CodeConfig, Message: "bad"},
			Session: SessionState{State: "closing_soon", Reason: "logout", Deadline: 9, Message: "m", Sites: []Site{{URL: "u", Match: "m", Login: "l", SessionCookie: "c"}}}},
			`{"accounts":[],"status":"dnd","calls":[],"config_error":{"code":"config","message":"bad"},"session":{"state":"closing_soon","reason":"logout","deadline":9,"message":"m","sites":[{"url":"u","match":"m","login":"l","session_cookie":"c"}]}}`},
		{"error", ErrorBody{Code: CodeSIP, Message: "refused", SIPCode: 488, CallID: "c1"},
			`{"code":"sip","message":"refused","sip_code":488,"call_id":"c1"}`},
		{"history", History{Calls: []HistoryCall{{ID: "c1", Account: "work", Direction: DirectionIncoming, Number: "1002", Name: "Alice",
			Result: ResultAnswered, Reason: "The other side hung up", StartedAt: 1, AnsweredAt: 2, EndedAt: 3, Seconds: 0}}},
			`{"calls":[{"id":"c1","account":"work","direction":"incoming","number":"1002","name":"Alice","result":"answered","reason":"The other side hung up","started_at":1,"answered_at":2,"ended_at":3,"seconds":0}]}`},
		{"closing_soon", ClosingSoon{Message: "m", Reason: "timeout", Deadline: 9, Seconds: 5},
			`{"message":"m","reason":"timeout","deadline":9,"seconds":5}`},
		{"transfer", Transfer{CallID: "c1", Target: "700", ToCallID: "c2"}, `{"call_id":"c1","target":"700","to_call_id":"c2"}`},
		{"hello", Hello{Protocol: Version, Version: "0.1.0"}, `{"protocol":1,"version":"0.1.0"}`},
	}
	for _, tc := range cases {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", tc.name, b, err, tc.want)
		}
	}
}
