package bench

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The fixed answers of the benchmark server.
const (
	apiKey   = "0123456789abcdef0123456789abcdef" // the caller's credential
	wrongKey = "fedcba9876543210fedcba9876543210" // a credential the server refuses
	fixedKey = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	userID   = 42
	soapPath = "/v4.1/prod/ECGridOS.asmx"
	opNS     = "https://os.ecgrid.io/"

	envNS11 = "http://schemas.xmlsoap.org/soap/envelope/"
	envNS12 = "http://www.w3.org/2003/05/soap-envelope"
)

var (
	restOK  = []byte(`{"success":true,"data":"` + fixedKey + `","errorCode":"","message":""}`)
	rest401 = []byte(`{"success":false,"data":null,"errorCode":"InvalidAPIKey","message":"Invalid API key"}`)

	soap11Gen = soapAnswer(envNS11, "GenerateAPIKey")
	soap11Get = soapAnswer(envNS11, "UserGetAPIKey")
	soap12Gen = soapAnswer(envNS12, "GenerateAPIKey")
	soap12Get = soapAnswer(envNS12, "UserGetAPIKey")

	// The ASMX answers to an unknown SessionID: HTTP 500 with a Client
	// (1.1) or Sender (1.2) fault whose detail says Authentication.
	soap11Fault = []byte(`<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + envNS11 + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Invalid Session ID</faultstring>` +
		`<detail><ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode></detail>` +
		`</soap:Fault></soap:Body></soap:Envelope>`)
	soap12Fault = []byte(`<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + envNS12 + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<soap:Body><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code>` +
		`<soap:Reason><soap:Text xml:lang="en">Invalid Session ID</soap:Text></soap:Reason>` +
		`<soap:Detail><ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode></soap:Detail>` +
		`</soap:Fault></soap:Body></soap:Envelope>`)

	// What a SOAP request with the right credential holds.
	goodSession = []byte(`<SessionID>` + apiKey + `</SessionID>`)

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

// requestBufs holds the buffers the server reads SOAP requests into.
var requestBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// readRequest reads a request body into a pooled buffer; put it back with
// requestBufs.Put once done with the bytes.
func readRequest(r io.Reader) *[]byte {
	p := requestBufs.Get().(*[]byte)
	b := (*p)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	*p = b
	return p
}

// handle answers both APIs with the fixed key, or with the service's refusal
// when the credential (X-API-Key, or the SOAP SessionID) is not apiKey. It
// allocates nothing of its own: the answers and header values are prepared
// and the request is read into a pooled buffer.
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
		req := readRequest(r.Body) // read the request as a real server does
		known := bytes.Contains(*req, goodSession)
		requestBufs.Put(req)
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/soap+xml") {
			w.Header()["Content-Type"] = ctSOAP12
			if !known {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write(soap12Fault)
				return
			}
			body := soap12Gen
			if strings.Contains(ct, "UserGetAPIKey") {
				body = soap12Get
			}
			_, _ = w.Write(body)
			return
		}
		w.Header()["Content-Type"] = ctSOAP11
		if !known {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(soap11Fault)
			return
		}
		body := soap11Gen
		// r.Header.Get("SOAPAction") would allocate its canonical form each time.
		if a := r.Header["Soapaction"]; len(a) > 0 && strings.Contains(a[0], "UserGetAPIKey") {
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
	ln    *countingListener
	reqs  atomic.Int64  // requests answered
	delay time.Duration // how long each request takes before its answer
}

// conns returns how many connections the server has accepted.
func (s *server) conns() int64 { return s.ln.n.Load() }

// requests returns how many requests the server has received.
func (s *server) requests() int64 { return s.reqs.Load() }

// restURL and soapURL are the endpoints to configure clients with.
func (s *server) restURL() string { return s.URL }
func (s *server) soapURL() string { return s.URL + soapPath }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.reqs.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	handle(w, r)
}

// newServer starts a counting loopback server, closed when tb ends.
func newServer(tb testing.TB) *server { return newSlowServer(tb, 0) }

// newSlowServer starts a counting loopback server that waits delay before
// answering each request, closed when tb ends.
func newSlowServer(tb testing.TB, delay time.Duration) *server {
	tb.Helper()
	s := &server{delay: delay}
	ts := httptest.NewUnstartedServer(s)
	s.ln = &countingListener{Listener: ts.Listener}
	ts.Listener = s.ln
	ts.Config.ErrorLog = nil
	ts.Start()
	tb.Cleanup(ts.Close)
	s.Server = ts
	return s
}
