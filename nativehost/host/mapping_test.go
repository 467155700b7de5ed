package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/config"
	"github.com/tabphone/tabphone/nativehost/history"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/phone"
	"github.com/tabphone/tabphone/nativehost/protocol"
	"github.com/tabphone/tabphone/nativehost/session"
)

// declared lists what nativehost/phone declares in file: the constants of typeName
// (typeName "error": the Err variables), so a value added there without a row here
// fails the test.
func declared(t *testing.T, file, typeName string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "phone", file), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
			continue
		}
		current := ""
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			switch {
			case vs.Type != nil:
				current = fmt.Sprint(vs.Type)
			case len(vs.Values) > 0:
				current = "" // an untyped constant or a variable set from a call
			}
			for _, n := range vs.Names {
				isErr := gd.Tok == token.VAR && strings.HasPrefix(n.Name, "Err") && n.IsExported()
				if (typeName == "error" && isErr) || (gd.Tok == token.CONST && current == typeName) {
					names = append(names, n.Name)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

func sameNames(t *testing.T, what string, declaredNames, rows []string) {
	t.Helper()
	sort.Strings(rows)
	if strings.Join(declaredNames, ",") != strings.Join(rows, ",") {
		t.Errorf("%s: the phone declares %v, the table covers %v", what, declaredNames, rows)
	}
}

// TestEnumsToWire: every value of the phone's enums has its wire string.
func TestEnumsToWire(t *testing.T) {
	type row struct {
		name string
		got  string
		want string
	}
	tables := map[string][]row{
		"Direction": {
			{"Outgoing", directions[phone.Outgoing], "outgoing"},
			{"Incoming", directions[phone.Incoming], "incoming"},
		},
		"CallState": {
			{"CallCalling", callStates[phone.CallCalling], "calling"},
			{"CallRinging", callStates[phone.CallRinging], "ringing"},
			{"CallEarly", callStates[phone.CallEarly], "early"},
			{"CallConnected", callStates[phone.CallConnected], "connected"},
			{"CallEnded", callStates[phone.CallEnded], "ended"},
		},
		"Registration": {
			{"RegUnregistered", registrations[phone.RegUnregistered], "unregistered"},
			{"RegRegistering", registrations[phone.RegRegistering], "registering"},
			{"RegRegistered", registrations[phone.RegRegistered], "registered"},
			{"RegFailed", registrations[phone.RegFailed], "failed"},
		},
		"Status": {
			{"Available", statuses[phone.Available], "available"},
			{"DND", statuses[phone.DND], "dnd"},
		},
	}
	for typ, rows := range tables {
		var names []string
		for _, r := range rows {
			names = append(names, r.name)
			if r.got != r.want {
				t.Errorf("%s %s is %q on the wire, want %q", typ, r.name, r.got, r.want)
			}
		}
		sameNames(t, typ, declared(t, "state.go", typ), names)
	}
	if len(directions) != 2 || len(callStates) != 5 || len(registrations) != 4 || len(statuses) != 2 || len(configStatuses) != 2 {
		t.Error("a mapping table has a value the enum does not")
	}
}

// TestStatusBothWays: set_status's words in, config.json's words out, and back.
func TestStatusBothWays(t *testing.T) {
	for _, w := range []string{"available", "dnd"} {
		st, err := statusFromWire(w)
		if err != nil || statuses[st] != w || phone.StatusFromConfig(configStatuses[st]) != st {
			t.Errorf("status %q: %v %v, config %q", w, st, err, configStatuses[st])
		}
	}
	if _, err := statusFromWire("busy"); !errors.Is(err, phone.ErrBadStatus) || errorBody(err).Code != protocol.CodeBadRequest {
		t.Errorf(`status "busy": %v`, err)
	}
	if configStatuses[phone.DND] != config.StatusDND || phone.StatusFromConfig("") != phone.Available {
		t.Error("config.json's status words")
	}
}

// TestEndReasons: every end cause in words, with the SIP status where one decided.
func TestEndReasons(t *testing.T) {
	rows := []struct {
		name   string
		reason phone.EndReason
		want   protocol.EndReason
	}{
		{"EndHangup", phone.EndReason{Cause: phone.EndHangup}, protocol.EndReason{Message: "Call ended"}},
		{"EndRemoteHangup", phone.EndReason{Cause: phone.EndRemoteHangup}, protocol.EndReason{Message: "The other side hung up"}},
		{"EndCancelled", phone.EndReason{Cause: phone.EndCancelled}, protocol.EndReason{Message: "Call cancelled"}},
		{"EndRejected", phone.EndReason{Cause: phone.EndRejected, SIPCode: 486}, protocol.EndReason{SIPCode: 486, Message: "Busy"}},
		{"EndNoAnswer", phone.EndReason{Cause: phone.EndNoAnswer}, protocol.EndReason{Message: "No answer from the PBX"}},
		{"EndNotSent", phone.EndReason{Cause: phone.EndNotSent, Err: errors.New("no route")}, protocol.EndReason{Message: "Could not send the call: no route"}},
		{"EndNoCommonCodec", phone.EndReason{Cause: phone.EndNoCommonCodec}, protocol.EndReason{Message: "The other side cannot use any of our audio codecs"}},
		{"EndMissed", phone.EndReason{Cause: phone.EndMissed}, protocol.EndReason{Message: "Missed call"}},
		{"EndDeclined", phone.EndReason{Cause: phone.EndDeclined, SIPCode: 486}, protocol.EndReason{SIPCode: 486, Message: "Declined"}},
		{"EndDND", phone.EndReason{Cause: phone.EndDND, SIPCode: 480}, protocol.EndReason{SIPCode: 480, Message: "Missed: Do not disturb"}},
		{"EndAnswerFailed", phone.EndReason{Cause: phone.EndAnswerFailed}, protocol.EndReason{Message: "The call could not be answered"}},
		{"EndNoMedia", phone.EndReason{Cause: phone.EndNoMedia}, protocol.EndReason{Message: "No audio from the other side: the call was ended"}},
		{"EndMediaSecurity", phone.EndReason{Cause: phone.EndMediaSecurity, SIPCode: 488, Err: fmt.Errorf("%w: the PBX offers only SRTP and the account's srtp is \"off\"", media.ErrSecurity)},
			protocol.EndReason{SIPCode: 488, Message: `Call refused: secure media does not match (the PBX offers only SRTP and the account's srtp is "off")`}},
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.name)
		if got := endReasonOf(r.reason); got == nil || *got != r.want {
			t.Errorf("%s: %+v, want %+v", r.name, got, r.want)
		}
	}
	sameNames(t, "EndCause", declared(t, "state.go", "EndCause"), names)
	if got := endReasonOf(phone.EndReason{Cause: phone.EndRejected, SIPCode: 404}); got.Message != "Number not found" {
		t.Errorf("404 in words: %q", got.Message)
	}
	if got := endReasonOf(phone.EndReason{}); got != nil {
		t.Errorf("a call that has not ended has an end reason %+v", got)
	}
}

// TestErrorCodes: every error an intent can end with has its code; a PBX's refusal is
// code sip with its status, wherever in the call it came.
func TestErrorCodes(t *testing.T) {
	refused := &phone.SIPError{Code: 488, Reason: "Not Acceptable Here"}
	rows := []struct {
		name    string
		err     error
		code    string
		sipCode int
		message string // "" : the error's own text
	}{
		// The PBX refused the hold re-INVITE: before one mapping, this was "internal".
		{"PBX refused hold", refused, protocol.CodeSIP, 488, refused.Error()},
		{"PBX refused hold, wrapped", fmt.Errorf("hold c1: %w", refused), protocol.CodeSIP, 488, refused.Error()},
		{"PBX refused REFER", &phone.SIPError{Code: 403, Reason: "Forbidden"}, protocol.CodeSIP, 403, ""},
		{"transfer target failed (NOTIFY)", &phone.SIPError{Code: 486, Reason: "transfer failed"}, protocol.CodeSIP, 486, ""},
		{"connection lost", phone.ErrConnectionLost, protocol.CodeSIP, 0, "Connection to the PBX lost"},
		{"untrusted certificate", &phone.CertificateError{Err: errors.New("x509: unknown authority")}, protocol.CodeSIP, 0,
			"The PBX's TLS certificate is not trusted (is its CA in tls_ca_file?): x509: unknown authority"},

		{"ErrBadNumber", fmt.Errorf("%w: %q", phone.ErrBadNumber, "abc"), protocol.CodeBadNumber, 0, ""},
		{"ErrNoAccount", fmt.Errorf("%w: %q", phone.ErrNoAccount, "home"), protocol.CodeNoAccount, 0, ""},
		{"ErrNotRegistered", fmt.Errorf("%w: work", phone.ErrNotRegistered), protocol.CodeNotRegistered, 0, ""},
		{"ErrNoCall", fmt.Errorf("%w: %q", phone.ErrNoCall, "c9"), protocol.CodeNoCall, 0, ""},
		{"ErrClosed", phone.ErrClosed, protocol.CodeInternal, 0, ""},
		{"ErrBadStatus", fmt.Errorf("%w: 7", phone.ErrBadStatus), protocol.CodeBadRequest, 0, ""},
		{"ErrBadDTMF", fmt.Errorf("%w: E", phone.ErrBadDTMF), protocol.CodeBadRequest, 0, ""},
		{"ErrConnectionLost", phone.ErrConnectionLost, protocol.CodeSIP, 0, "Connection to the PBX lost"},
		// A hold the PBX never answered, or a dial whose connection could not be made:
		// before, both were "internal".
		{"ErrNoAnswer", fmt.Errorf("%w: hold re-INVITE: %v", phone.ErrNoAnswer, context.DeadlineExceeded), protocol.CodeSIP, 0,
			"The PBX did not answer: hold re-INVITE: context deadline exceeded"},

		{"bad SDP", fmt.Errorf("offer: %w", media.ErrBadSDP), protocol.CodeMedia, 0, ""},
		{"no common codec", media.ErrNoCommonCodec, protocol.CodeMedia, 0, ""},
		{"media closed", media.ErrClosed, protocol.CodeMedia, 0, ""},

		{"malformed frame", fmt.Errorf("%w: missing type", protocol.ErrBadMessage), protocol.CodeBadRequest, 0, "bad message: missing type"},
		{"oversized frame", &messaging.FrameError{Size: 70000, Limit: 65536, Err: messaging.ErrTooLarge}, protocol.CodeTooLarge, 0,
			"message of 70000 bytes is over the 65536-byte limit"},
		{"unknown type", fmt.Errorf("%w %q", errUnknownType, "fly"), protocol.CodeBadRequest, 0, `unknown message type "fly"`},
		{"no id", fmt.Errorf("%s %w", "dial", errNoID), protocol.CodeBadRequest, 0, "dial needs an id"},
		{"bad data", badRequest(errors.New("bad data: x")), protocol.CodeBadRequest, 0, "bad request: bad data: x"},
		{"too many keys", errTooManyKeys, protocol.CodeTooLarge, 0, ""},
		{"too many settings requests", errTooManySettings, protocol.CodeTooLarge, 0, ""},
		{"no session", errNoSession, protocol.CodeNoSession, 0, "Open the Dialer/PBX to use the phone"},
		{"version skew", &versionError{extension: 2}, protocol.CodeProtocol, 0,
			"The extension speaks protocol 2 and the host speaks 1: update both to the same release"},
		{"config refused", &configError{stage: configInvalid, err: errors.New("invalid config: no user")}, protocol.CodeConfig, 0, "invalid config: no user"},
		{"config not saved", &configError{stage: configNotSaved, err: errors.New("disk full")}, protocol.CodeConfig, 0, "The settings could not be saved: disk full"},
		{"config.json not applied", &configError{stage: configNotApplied, err: errors.New("bad JSON")}, protocol.CodeConfig, 0,
			"config.json was not applied, the previous settings stay in force: bad JSON"},
		{"phone did not start", &startError{err: errors.New("no socket")}, protocol.CodeInternal, 0, "The phone could not start: no socket"},
		{"anything else", io.ErrUnexpectedEOF, protocol.CodeInternal, 0, ""},
	}
	var sentinels []string
	for _, r := range rows {
		if strings.HasPrefix(r.name, "Err") {
			sentinels = append(sentinels, r.name)
		}
		got := errorBody(r.err)
		msg := r.message
		if msg == "" {
			msg = r.err.Error()
		}
		if got.Code != r.code || got.SIPCode != r.sipCode || got.Message != msg {
			t.Errorf("%s: %+v, want code %s, sip_code %d, message %q", r.name, got, r.code, r.sipCode, msg)
		}
	}
	sameNames(t, "phone's sentinel errors", declared(t, "errors.go", "error"), sentinels)
}

// TestAccountErrors: a failed registration always says sip, with the status when the
// registrar answered, and in words when it did not.
func TestAccountErrors(t *testing.T) {
	rows := []struct {
		err  error
		want *protocol.ErrorBody
	}{
		{nil, nil},
		{&phone.SIPError{Code: 403, Reason: "Forbidden"}, &protocol.ErrorBody{Code: protocol.CodeSIP, SIPCode: 403, Message: "Wrong user name or password, or not allowed (403 Forbidden)"}},
		{phone.ErrConnectionLost, &protocol.ErrorBody{Code: protocol.CodeSIP, Message: "Connection to the PBX lost"}},
		{&phone.CertificateError{Err: errors.New("REGISTER to x: tls: bad certificate")}, &protocol.ErrorBody{Code: protocol.CodeSIP,
			Message: "The PBX's TLS certificate is not trusted (is its CA in tls_ca_file?): REGISTER to x: tls: bad certificate"}},
		{errors.New("REGISTER to x: timeout"), &protocol.ErrorBody{Code: protocol.CodeSIP, Message: "No answer from the PBX: REGISTER to x: timeout"}},
	}
	for _, r := range rows {
		got := accountErrorBody(r.err)
		if (got == nil) != (r.want == nil) || (got != nil && *got != *r.want) {
			t.Errorf("%v: %+v, want %+v", r.err, got, r.want)
		}
	}
}

// TestStateToWire: a call and an account as the extension reads them (the JSON of
// docs/protocol.md), times in Unix milliseconds and unset ones left out.
func TestStateToWire(t *testing.T) {
	at := func(ms int64) time.Time { return time.UnixMilli(1764180000000 + ms) }
	rows := []struct {
		name string
		v    any
		want string
	}{
		{"ringing incoming call", callOf(phone.CallInfo{ID: "c3", Account: "work", Direction: phone.Incoming, Number: "1002", Name: "Alice",
			State: phone.CallRinging, Codec: "PCMU", AutoAnswerAt: at(5000), StartedAt: at(0)}),
			`{"id":"c3","account":"work","direction":"incoming","number":"1002","name":"Alice","state":"ringing","auto_answer_at":1764180005000,"codec":"PCMU","started_at":1764180000000}`},
		{"DND-rejected call", callOf(phone.CallInfo{ID: "c4", Account: "work", Direction: phone.Incoming, Number: "1003", State: phone.CallEnded,
			StartedAt: at(100000), EndedAt: at(100000), End: phone.EndReason{Cause: phone.EndDND, SIPCode: 486}}),
			`{"id":"c4","account":"work","direction":"incoming","number":"1003","state":"ended","started_at":1764180100000,"ended_at":1764180100000,"end_reason":{"sip_code":486,"message":"Missed: Do not disturb"}}`},
		{"held transferred call", callOf(phone.CallInfo{ID: "c1", Account: "work", Direction: phone.Outgoing, Number: "2002", State: phone.CallConnected,
			StartedAt: at(0), AnsweredAt: at(200), Muted: true, Held: true, RemoteHold: true, Transferring: true, TransferredBy: "2001", Replaces: "c0"}),
			`{"id":"c1","account":"work","direction":"outgoing","number":"2002","state":"connected","muted":true,"remote_hold":true,"held":true,"transferring":true,"started_at":1764180000000,"answered_at":1764180000200,"transferred_by":"2001","replaces":"c0"}`},
		{"failed account with voicemail", accountOf(phone.AccountState{ID: "work", User: "1001", Domain: "pbx.example.com", Transport: "tls",
			Registration: phone.RegFailed, Err: phone.ErrConnectionLost, AutoAnswer: config.AutoAnswer{Seconds: 5, FromPBX: true}, DNDCode: 486,
			Voicemail: &phone.Voicemail{Waiting: true, New: 2, Old: 8, UrgentNew: 1}}),
			`{"id":"work","user":"1001","domain":"pbx.example.com","transport":"tls","registration":"failed","error":{"code":"sip","message":"Connection to the PBX lost"},"auto_answer":{"enabled":false,"seconds":5,"from_pbx":true},"dnd_code":486,"voicemail":{"waiting":true,"new":2,"old":8,"urgent_new":1}}`},
		{"registered default account", accountOf(phone.AccountState{ID: "work", Default: true, User: "1001", DisplayName: "Alice Smith", Domain: "127.0.0.1:5060", Registration: phone.RegRegistered,
			AutoAnswer: config.AutoAnswer{Enabled: true, Seconds: 3}}),
			`{"id":"work","default":true,"user":"1001","display_name":"Alice Smith","domain":"127.0.0.1:5060","registration":"registered","auto_answer":{"enabled":true,"seconds":3},"dnd_code":0}`},
		{"account with busy lamps", accountOf(phone.AccountState{ID: "work", User: "1001", Domain: "127.0.0.1:5060", Registration: phone.RegRegistered,
			PickupPrefix: "**", Lamps: []phone.LampInfo{{Extension: "2000", State: phone.LampRinging, Direction: phone.Incoming, RemoteNumber: "2001", RemoteName: "Ann"},
				{Extension: "2001", State: phone.LampBusy, Direction: phone.Outgoing}, {Extension: "2002", State: phone.LampIdle}, {Extension: "2003"}}}),
			`{"id":"work","user":"1001","domain":"127.0.0.1:5060","registration":"registered","auto_answer":{"enabled":false,"seconds":0},"dnd_code":0,"lamps":[` +
				`{"extension":"2000","state":"ringing","direction":"in","remote_number":"2001","remote_name":"Ann"},{"extension":"2001","state":"busy","direction":"out"},` +
				`{"extension":"2002","state":"idle"},{"extension":"2003","state":"unknown"}],"pickup_prefix":"**"}`},
		{"closing session", sessionStateOf(session.Snapshot{State: session.ClosingSoon, Reason: session.ReasonLogout, Deadline: at(5000)},
			[]config.Site{{URL: "http://127.0.0.1:8080/app/", Match: "http://127.0.0.1/*"}}),
			`{"state":"closing_soon","reason":"logout","deadline":1764180005000,"message":"Window will be closed soon, since there is no active session","sites":[{"url":"http://127.0.0.1:8080/app/","match":"http://127.0.0.1/*"}]}`},
		{"closing_soon event", closingSoonOf(session.Snapshot{State: session.ClosingSoon, Reason: session.ReasonTabsClosed, Deadline: at(5000)}),
			`{"message":"Window will be closed soon, since there is no active session","reason":"tabs_closed","deadline":1764180005000,"seconds":5}`},
	}
	for _, r := range rows {
		b, err := json.Marshal(r.v)
		if err != nil || string(b) != r.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", r.name, b, err, r.want)
		}
	}
}

// TestHistory: an ended call goes to the history with the reason the extension was
// sent, and history_get returns the file's entries in the wire's words.
func TestHistory(t *testing.T) {
	at := func(ms int64) time.Time { return time.UnixMilli(1764180000000 + ms) }
	dnd := historyCallOf(phone.CallInfo{ID: "c4", Account: "work", Direction: phone.Incoming, Number: "1003", Name: "Bob", State: phone.CallEnded,
		StartedAt: at(0), EndedAt: at(0), End: phone.EndReason{Cause: phone.EndDND, SIPCode: 486}})
	if !dnd.Incoming || dnd.Reason != "Missed: Do not disturb" || dnd.Number != "1003" || dnd.Name != "Bob" || !dnd.StartedAt.Equal(at(0)) {
		t.Errorf("DND call for the history: %+v", dnd)
	}
	out := historyCallOf(phone.CallInfo{ID: "c5", Account: "work", Direction: phone.Outgoing, Number: "600", State: phone.CallEnded,
		StartedAt: at(0), AnsweredAt: at(1000), EndedAt: at(63500), End: phone.EndReason{Cause: phone.EndRemoteHangup}})
	b, err := json.Marshal(historyOf([]history.Entry{history.NewEntry(out), history.NewEntry(dnd)}))
	want := `{"calls":[` +
		`{"id":"c5","account":"work","direction":"outgoing","number":"600","result":"outgoing","reason":"The other side hung up","started_at":1764180000000,"answered_at":1764180001000,"ended_at":1764180063500,"seconds":62},` +
		`{"id":"c4","account":"work","direction":"incoming","number":"1003","name":"Bob","result":"missed","reason":"Missed: Do not disturb","started_at":1764180000000,"ended_at":1764180000000,"seconds":0}]}`
	if err != nil || string(b) != want {
		t.Errorf("history_get:\n got %s (%v)\nwant %s", b, err, want)
	}
	if b, _ := json.Marshal(historyOf(nil)); string(b) != `{"calls":[]}` {
		t.Errorf("empty history: %s", b)
	}
	for file, wire := range map[string]string{history.Answered: "answered", history.Missed: "missed", history.Outgoing: "outgoing", history.Failed: "failed"} {
		if historyResults[file] != wire {
			t.Errorf("result %q is %q on the wire", file, historyResults[file])
		}
	}
	if len(historyResults) != 4 || historyDirections[history.DirectionIncoming] != "incoming" || historyDirections[history.DirectionOutgoing] != "outgoing" {
		t.Error("history words")
	}
}
