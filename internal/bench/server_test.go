package bench

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The fixed answers of the benchmark server.
const (
	apiKey   = "0123456789abcdef0123456789abcdef" // the caller's credential
	fixedKey = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	userID   = 42
	soapPath = "/v4.1/prod/ECGridOS.asmx"
	opNS     = "https://os.ecgrid.io/"
)

var (
	restOK  = []byte(`{"success":true,"data":"` + fixedKey + `","errorCode":"","message":""}`)
	rest401 = []byte(`{"success":false,"data":null,"errorCode":"InvalidAPIKey","message":"Invalid API key"}`)

	soap11Gen = soapAnswer("http://schemas.xmlsoap.org/soap/envelope/", "GenerateAPIKey")
	soap11Get = soapAnswer("http://schemas.xmlsoap.org/soap/envelope/", "UserGetAPIKey")
	soap12Gen = soapAnswer("http://www.w3.org/2003/05/soap-envelope", "GenerateAPIKey")
	soap12Get = soapAnswer("http://www.w3.org/2003/05/soap-envelope", "UserGetAPIKey")

	// Header values shared by every answer; net/http only reads them.
	ctJSON   = []string{"application/json; charset=utf-8"}
	ctSOAP11 = []string{"text/xml; charset=utf-8"}
	ctSOAP12 = []string{"application/soap+xml; charset=utf-8"}
)

// soapAnswer is an ASMX-style success answer of operation op.
func soapAnswer(envNS, op string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + envNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<soap:Body><` + op + `Response xmlns="` + opNS + `"><` + op + `Result>` + fixedKey + `</` + op + `Result></` + op + `Response></soap:Body></soap:Envelope>`)
}

// handle answers both APIs with the fixed key. It allocates nothing of its
// own: the answers and header values are prepared.
func handle(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/v2/users/key/") || strings.HasPrefix(p, "/v2/users/key-generate/"):
		w.Header()["Content-Type"] = ctJSON
		if r.Header.Get("X-Api-Key") != apiKey {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(rest401)
			return
		}
		_, _ = w.Write(restOK)
	case p == soapPath && r.Method == http.MethodPost:
		_, _ = io.Copy(io.Discard, r.Body) // read the request as a real server does
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/soap+xml") {
			w.Header()["Content-Type"] = ctSOAP12
			body := soap12Gen
			if strings.Contains(ct, "UserGetAPIKey") {
				body = soap12Get
			}
			_, _ = w.Write(body)
			return
		}
		w.Header()["Content-Type"] = ctSOAP11
		body := soap11Gen
		if strings.Contains(r.Header.Get("SOAPAction"), "UserGetAPIKey") {
			body = soap11Get
		}
		_, _ = w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

// countingListener counts the TCP connections the server accepted.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// server is the loopback server both sides of every pair call.
type server struct {
	*httptest.Server
	ln *countingListener
}

// conns returns how many connections the server has accepted.
func (s *server) conns() int64 { return s.ln.n.Load() }

// restURL and soapURL are the endpoints to configure clients with.
func (s *server) restURL() string { return s.URL }
func (s *server) soapURL() string { return s.URL + soapPath }

// newServer starts a counting loopback server, closed when tb ends.
func newServer(tb testing.TB) *server {
	tb.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(handle))
	ln := &countingListener{Listener: ts.Listener}
	ts.Listener = ln
	ts.Config.ErrorLog = nil
	ts.Start()
	tb.Cleanup(ts.Close)
	return &server{Server: ts, ln: ln}
}
