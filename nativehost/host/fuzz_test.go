package host

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tabphone/tabphone/media"
	"github.com/tabphone/tabphone/nativehost/messaging"
	"github.com/tabphone/tabphone/nativehost/protocol"
)

// fuzzTypes are the requests whose data FuzzRequestData sends to a running host:
// every request type but the two that save config.json (config_set, set_status: their
// data is config.Public and a status, fuzzed by config's FuzzMerge without a file).
var fuzzTypes = []string{
	protocol.TypeHello, protocol.TypePing, protocol.TypeStateGet, protocol.TypeSession,
	protocol.TypeConfigGet, protocol.TypeHistoryGet, protocol.TypeDTMF, protocol.TypeDial,
	protocol.TypeHangup, protocol.TypeDecline, protocol.TypeAnswer, protocol.TypeWebRTCOffer,
	protocol.TypeMute, protocol.TypeHold, protocol.TypeTransfer,
}

// FuzzRequestData: each request's data, decoded by its own handler in a running host
// (no account, so nothing leaves the machine), gets exactly one reply (ok or an error
// with a code) and the host goes on serving; nothing in the data stops it.
func FuzzRequestData(f *testing.F) {
	for i, d := range []string{
		`{"protocol":1,"version":"x"}`, `{}`, `{}`, `{"active":true,"reason":"tab_open"}`, `{}`, `{"limit":500}`,
		`{"call_id":"c","digits":"12#"}`, `{"number":"+1 555 010 0200","account":"work"}`, `{"call_id":"c"}`,
		`{"call_id":7}`, `{"call_id":""}`, `{"call_id":"c","sdp":"v=0\r\n"}`, `{"call_id":"c","muted":true}`,
		`{"call_id":"c","hold":"yes"}`, `{"call_id":"c","target":"sip:x@y","to_call_id":"d"}`,
	} {
		f.Add(uint8(i), []byte(d))
	}
	f.Add(uint8(3), []byte(`{"active":false,"reason":"logout"}`))
	f.Add(uint8(7), []byte(`null`))
	f.Add(uint8(0), []byte(`[1,2]`))

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	configDir := f.TempDir()
	go func() {
		done <- Run(context.Background(), Options{Stdin: inR, Stdout: outW, ConfigDir: configDir, Version: "fuzz",
			Media: &media.BrowserNet{LocalIPs: []net.IP{net.IPv4(127, 0, 0, 1)}}})
		outW.Close()
	}()
	f.Cleanup(func() { inW.Close(); <-done })
	frames := make(chan protocol.Envelope, 64)
	go func() {
		defer close(frames)
		r := messaging.NewReader(outR)
		for {
			b, err := r.ReadFrame()
			if err != nil {
				return
			}
			if env, err := protocol.Decode(b); err == nil {
				frames <- env
			}
		}
	}()
	w := messaging.NewWriter(inW)
	var mu sync.Mutex
	id := int64(0)
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		if len(data) > 0 && !json.Valid(data) {
			return // frames that are not JSON: FuzzDecode and TestBadInputBurst
		}
		mu.Lock()
		defer mu.Unlock()
		id++
		typ := fuzzTypes[int(kind)%len(fuzzTypes)]
		frame := []byte(fmt.Sprintf(`{"type":%q,"id":%d,"data":%s}`, typ, id, data))
		if len(data) == 0 {
			frame = []byte(fmt.Sprintf(`{"type":%q,"id":%d}`, typ, id))
		}
		if err := w.WriteFrame(frame); err != nil {
			t.Fatalf("the host stopped reading: %v", err)
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case env, ok := <-frames:
				if !ok {
					t.Fatalf("the host ended after %q", frame)
				}
				switch {
				case env.Type == protocol.TypeReply && env.ID == id:
					if env.OK == nil || (!*env.OK && (env.Error == nil || env.Error.Code == "")) {
						t.Fatalf("reply without a result or an error code to %q", frame)
					}
					return
				}
			case <-deadline:
				t.Fatalf("no answer to %q", frame)
			}
		}
	})
}
