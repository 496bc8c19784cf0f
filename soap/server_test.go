package soap_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ecgridkit/ecgrid/soap"
)

// Credentials and answers of the tests. The session ID and the password
// hold the characters XML escapes.
const (
	sessionID = `S3ss<&"'>ion-0001`
	apiKey    = "AK-test-0123456789abcdef"
	password  = `p&ss<w>"rd'`
	userName  = "jdoe@example.com"
	newKey    = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	newSessID = "a1b2c3d4-0000-4000-8000-123456789abc"
)

var secrets = []string{sessionID, apiKey, password}

// request is what the test server saw of one call.
type request struct {
	Method, Path string
	Header       http.Header
	Body         string
	Version      soap.Version
	Action       string            // SOAPAction (1.1, unquoted) or the action parameter (1.2)
	Op, NS       string            // the Body's first element: local name and namespace
	Params       map[string]string // its children
	ParamOrder   []string
}

// readCall decodes a request as ASMX would see it.
func readCall(r *http.Request, body []byte) request {
	req := request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body), Params: map[string]string{}}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/xml":
		req.Version = soap.V11
		req.Action = strings.Trim(r.Header.Get("SOAPAction"), `"`)
	case "application/soap+xml":
		req.Version = soap.V12
		req.Action = params["action"]
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	var cur string
	for {
		tok, err := d.Token()
		if err != nil {
			return req
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 3:
				if req.Op == "" {
					req.Op, req.NS = t.Name.Local, t.Name.Space
				}
			case 4:
				cur = t.Name.Local
				req.ParamOrder = append(req.ParamOrder, cur)
				req.Params[cur] = ""
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 4 {
				req.Params[cur] += string(t)
			}
		}
	}
}

// server is an httptest server that records every call it reads and hands
// it to a handler.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newServer(t *testing.T, h func(http.ResponseWriter, request)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := readCall(r, body)
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.reqs...)
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// httpClient returns a client with its own transport, whose idle
// connections are closed when the test ends.
func httpClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func newClient(t *testing.T, cfg soap.Config) *soap.Client {
	t.Helper()
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = httpClient(t)
	}
	c, err := soap.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// envelope wraps inner in an ASMX answer envelope of the version.
func envelope(v soap.Version, inner string) string {
	ns := soap.NamespaceSOAP11
	if v == soap.V12 {
		ns = soap.NamespaceSOAP12
	}
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + ns + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<soap:Body>` + inner + `</soap:Body></soap:Envelope>`
}

// resultDoc is op's success answer whose result holds inner (XML).
func resultDoc(v soap.Version, ns, op, inner string) string {
	return envelope(v, `<`+op+`Response xmlns="`+ns+`"><`+op+`Result>`+inner+`</`+op+`Result></`+op+`Response>`)
}

// faultDoc is a fault as ASMX sends it: 1.1 with a faultactor; 1.2 with a
// Node and an unqualified lower-case <detail>, or soap:Detail when
// qualified. client picks Client/Sender over Server/Receiver. code "" sends
// an empty detail.
func faultDoc(v soap.Version, client bool, msg, code string, qualified bool) string {
	detail := "<detail />"
	if code != "" {
		detail = `<detail><ECGridOSSOAPErrorCode xmlns="https://os.ecgrid.io/">` + code + `</ECGridOSSOAPErrorCode></detail>`
	}
	if v == soap.V11 {
		fc := "soap:Server"
		if client {
			fc = "soap:Client"
		}
		return envelope(v, `<soap:Fault><faultcode>`+fc+`</faultcode><faultstring>`+xmlText(msg)+`</faultstring>`+
			`<faultactor>https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx</faultactor>`+detail+`</soap:Fault>`)
	}
	fc := "soap:Receiver"
	if client {
		fc = "soap:Sender"
	}
	if qualified {
		detail = strings.ReplaceAll(strings.ReplaceAll(detail, "<detail", "<soap:Detail"), "</detail>", "</soap:Detail>")
	} else {
		detail = `<soap:Node>https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx</soap:Node>` + detail
	}
	return envelope(v, `<soap:Fault><soap:Code><soap:Value>`+fc+`</soap:Value></soap:Code>`+
		`<soap:Reason><soap:Text xml:lang="en">`+xmlText(msg)+`</soap:Text></soap:Reason>`+detail+`</soap:Fault>`)
}

// write answers with status and an XML body of the version's content type.
func write(w http.ResponseWriter, v soap.Version, status int, body string) {
	ct := "text/xml; charset=utf-8"
	if v == soap.V12 {
		ct = "application/soap+xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// asError returns err as a *soap.Error, failing the test otherwise, and
// checks that it holds no secret.
func asError(t *testing.T, err error) *soap.Error {
	t.Helper()
	var e *soap.Error
	if !errors.As(err, &e) {
		t.Fatalf("the error is %T, not a *soap.Error: %v", err, err)
	}
	for _, s := range secrets {
		for _, text := range []string{err.Error(), e.Message, e.ErrorCode, e.FaultCode, e.Problem} {
			if strings.Contains(text, s) {
				t.Fatalf("the error holds the secret %q: %q", s, text)
			}
		}
	}
	return e
}
