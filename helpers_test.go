package ecgrid_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
)

// Test credentials. Each is distinctive so a leak is easy to find.
const (
	testAPIKey    = "AK-7f3e9c1d-SECRET-api-key"
	testSessionID = `SID-<&"'>-SECRET-session`
	testNewKey    = "c0ffee00-1111-2222-3333-444455556666"
)

var secrets = []string{testAPIKey, testSessionID, "SECRET", testNewKey}

// transportCase is one of the three ways to reach ECGrid.
type transportCase struct {
	name    string // rest, soap11, soap12
	version string // "", "1.1", "1.2"
}

var transports = []transportCase{{"rest", ""}, {"soap11", "1.1"}, {"soap12", "1.2"}}

// responder answers one request the way a scenario needs; version is "" for
// REST and "1.1"/"1.2" for SOAP.
type responder func(w http.ResponseWriter, r *http.Request, version string)

// server is a loopback test server that counts requests.
type server struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// serve starts a server that answers every request with answer, for the
// transport and SOAP version the request is of (versionOf).
func serve(t *testing.T, answer responder) *server {
	t.Helper()
	return newServer(t, func(w http.ResponseWriter, r *http.Request) { answer(w, r, versionOf(r)) })
}

func envelopeNS(version string) (prefix, ns string) {
	if version == "1.2" {
		return "soap12", "http://www.w3.org/2003/05/soap-envelope"
	}
	return "soap", "http://schemas.xmlsoap.org/soap/envelope/"
}

func soapContentType(version string) string {
	if version == "1.2" {
		return "application/soap+xml; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

// soapDoc wraps body in an envelope of the version.
func soapDoc(version, body string) string {
	p, ns := envelopeNS(version)
	return `<?xml version="1.0" encoding="utf-8"?><` + p + `:Envelope xmlns:` + p + `="` + ns + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><` +
		p + `:Body>` + body + `</` + p + `:Body></` + p + `:Envelope>`
}

// soapOp returns the SOAP operation name of the request.
func soapOp(r *http.Request) string {
	a := r.Header.Get("SOAPAction") + r.Header.Get("Content-Type")
	if strings.Contains(a, "UserGetAPIKey") {
		return "UserGetAPIKey"
	}
	return "GenerateAPIKey"
}

func soapResult(version, op, ns, key string) string {
	return soapDoc(version, `<`+op+`Response xmlns="`+ns+`"><`+op+`Result>`+key+`</`+op+`Result></`+op+`Response>`)
}

func soapFaultDoc(version, faultCode, code, msg string) string {
	if version == "1.2" {
		if faultCode == "Client" {
			faultCode = "Sender"
		} else if faultCode == "Server" {
			faultCode = "Receiver"
		}
		return soapDoc(version, `<soap12:Fault><soap12:Code><soap12:Value>soap12:`+faultCode+`</soap12:Value></soap12:Code>`+
			`<soap12:Reason><soap12:Text xml:lang="en">`+msg+`</soap12:Text></soap12:Reason>`+
			`<soap12:Detail><ECGridOSSOAPErrorCode>`+code+`</ECGridOSSOAPErrorCode></soap12:Detail></soap12:Fault>`)
	}
	return soapDoc(version, `<soap:Fault><faultcode>soap:`+faultCode+`</faultcode><faultstring>`+msg+`</faultstring>`+
		`<detail><ECGridOSSOAPErrorCode>`+code+`</ECGridOSSOAPErrorCode></detail></soap:Fault>`)
}

func write(w http.ResponseWriter, status int, contentType, body string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// success answers a success envelope on REST and a result on SOAP.
func success(key string) responder {
	return func(w http.ResponseWriter, r *http.Request, v string) {
		if v == "" {
			write(w, 200, "application/json; charset=utf-8", `{"success":true,"data":"`+key+`","errorCode":"","message":""}`)
			return
		}
		write(w, 200, soapContentType(v), soapResult(v, soapOp(r), "https://os.ecgrid.io/", key))
	}
}

// apiError answers the REST envelope with status and code, or the SOAP fault
// (HTTP 500, as ASMX does) with faultCode and soapCode.
func apiError(status int, restCode, faultCode, soapCode, msg string) responder {
	return func(w http.ResponseWriter, r *http.Request, v string) {
		if v == "" {
			msg := strings.ReplaceAll(msg, "{cred}", testAPIKey)
			write(w, status, "application/json; charset=utf-8",
				fmt.Sprintf(`{"success":false,"errorCode":%q,"message":%q,"data":null}`, restCode, msg))
			return
		}
		var esc strings.Builder
		_ = xml.EscapeText(&esc, []byte(strings.ReplaceAll(msg, "{cred}", testSessionID)))
		write(w, 500, soapContentType(v), soapFaultDoc(v, faultCode, soapCode, esc.String()))
	}
}

// both answers the same raw status, content type and body on either transport.
func both(status int, contentType, body string, header ...string) responder {
	return func(w http.ResponseWriter, _ *http.Request, _ string) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		write(w, status, contentType, body)
	}
}

// split answers REST with one responder and SOAP with another.
func split(restR, soapR responder) responder {
	return func(w http.ResponseWriter, r *http.Request, v string) {
		if v == "" {
			restR(w, r, v)
		} else {
			soapR(w, r, v)
		}
	}
}

// drop closes the connection after reading the request, with no answer.
func drop(w http.ResponseWriter, _ *http.Request, _ string) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// stall waits until the client gives up.
func stall(w http.ResponseWriter, r *http.Request, _ string) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// truncated declares a full success body but sends half of it.
func truncated(w http.ResponseWriter, r *http.Request, v string) {
	rec := httptest.NewRecorder()
	success(testNewKey)(rec, r, v)
	body := rec.Body.String()
	w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(200)
	_, _ = io.WriteString(w, body[:len(body)/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// oversized sends a well-formed-looking success answer over 1 MiB.
func oversized(w http.ResponseWriter, r *http.Request, v string) {
	big := strings.Repeat("a", 2<<20)
	success(big)(w, r, v)
}

// closedURL returns a loopback URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// call runs operation op ("GenerateAPIKey" or "GetAPIKey") on c's Users.
func call(ctx context.Context, c *ecgrid.Client, op string, userID int) (string, error) {
	if op == "GenerateAPIKey" {
		return c.Users().GenerateAPIKey(ctx, userID)
	}
	return c.Users().GetAPIKey(ctx, userID)
}
