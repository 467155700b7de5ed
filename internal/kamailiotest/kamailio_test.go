package kamailiotest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"

	"github.com/gorilla/websocket"
)

func TestTransportsListenAndRestart(t *testing.T) {
	k := StartOpts(t, Options{Password: "pw", MaxExpires: 60, Transports: true})
	pem, err := os.ReadFile(k.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	check := func() {
		c, err := tls.Dial("tcp", k.TLS, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("TLS with the test CA: %v", err)
		}
		c.Close()
		if c, err := tls.Dial("tcp", k.TLS, &tls.Config{ServerName: "127.0.0.1"}); err == nil {
			c.Close()
			t.Fatal("TLS verified without the test CA")
		}
		for _, u := range []string{"ws://" + k.WS, "wss://" + k.WSS} {
			d := websocket.Dialer{Subprotocols: []string{"sip"}, TLSClientConfig: &tls.Config{RootCAs: roots}}
			ws, res, err := d.Dial(u, http.Header{})
			if err != nil {
				t.Fatalf("%s: %v", u, err)
			}
			if res.Header.Get("Sec-WebSocket-Protocol") != "sip" {
				t.Fatalf("%s: protocol %q", u, res.Header.Get("Sec-WebSocket-Protocol"))
			}
			ws.Close()
		}
	}
	check()
	k.Restart(t)
	check()
}
