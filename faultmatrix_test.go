package ecgrid_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// class is what a row must produce for an operation.
type class int

const (
	anyClass class = iota // whatever the server's state allows (checked below)
	ok                    // a key
	definite              // an error; the old key still works
	unknown               // an error with ErrOutcomeUnknown (GenerateAPIKey only)
)

// matrixRow is one way the service can answer. Every row runs on REST,
// SOAP 1.1 and SOAP 1.2 (unless soapOnly/restOnly), for GenerateAPIKey by
// user 42 on its own key, GetAPIKey by the admin, RotateAPIKey by the
// admin of user 42, and RotateAPIKey(Self) by user 42 with the admin as
// recovery.
type matrixRow struct {
	name     string
	fault    *ecgridtest.Fault // queued on the fake, for every matching call
	front    frontFunc         // a server in front of the fake, for answers the fake can't give
	tls      bool              // the front is a TLS server
	client   func() *http.Client
	kind     error         // GenerateAPIKey's and GetAPIKey's kind, for errors
	generate class         // GenerateAPIKey's class
	get      class         // GetAPIKey's class
	timeout  time.Duration // WithTimeout
	deadline time.Duration // a deadline on the caller's context
	special  string        // "refused", "expired", "redirect"
}

// frontFunc returns the handler of a server in front of the fake at fakeURL.
type frontFunc func(fakeURL string) http.HandlerFunc

func fault(f ecgridtest.Fault) *ecgridtest.Fault {
	if f.Times == 0 {
		f.Times = ecgridtest.Forever
	}
	return &f
}

// onGenerate returns a front that relays every call to the fake, except
// GenerateAPIKey, which it forwards (so the fake applies it) when apply is
// set, and then answers with answer.
func onGenerate(apply bool, answer responder) frontFunc {
	return func(fakeURL string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !isGenerate(r) {
				relay(w, r, fakeURL)
				return
			}
			if apply {
				if _, _, _, err := forward(r, fakeURL); err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
			}
			v := ""
			if strings.HasSuffix(r.URL.Path, ".asmx") {
				v = "1.1"
				if strings.HasPrefix(r.Header.Get("Content-Type"), "application/soap+xml") {
					v = "1.2"
				}
			}
			answer(w, r, v)
		}
	}
}

// faultWithCode answers a SOAP fault with a fault code as given, and the
// REST error envelope of a server failure.
func faultWithCode(code string) responder { return faultWithCodes(code, "Authentication") }

// faultWithCodes answers a SOAP fault with a fault code and an
// ECGridOSSOAPErrorCode as given, and the REST error envelope of a server
// failure.
func faultWithCodes(code, errorCode string) responder {
	return split(apiError(500, "InternalError", "", "", "boom"), func(w http.ResponseWriter, _ *http.Request, v string) {
		doc := soapFaultDoc(v, "Client", errorCode, "odd fault")
		doc = strings.Replace(doc, "soap:Client", code, 1)
		doc = strings.Replace(doc, "soap12:Sender", code, 1)
		write(w, 500, soapContentType(v), doc)
	})
}

// resultAndFault answers a 200 holding the operation's result and a Client
// fault at once (REST: an envelope with success and an errorCode).
func resultAndFault(w http.ResponseWriter, r *http.Request, v string) {
	if v == "" {
		write(w, 200, "application/json", `{"success":true,"data":"`+testNewKey+`","errorCode":"AccessDenied","message":"no"}`)
		return
	}
	p, _ := envelopeNS(v)
	op := "GenerateAPIKey"
	doc := soapFaultDoc(v, "Client", "Authorization", "no")
	doc = strings.Replace(doc, "<"+p+":Fault>", `<`+op+`Response xmlns="`+ecgridNS+`"><`+op+`Result>`+testNewKey+`</`+op+`Result></`+op+`Response><`+p+`:Fault>`, 1)
	write(w, 200, soapContentType(v), doc)
}

// tlsRecordAfterApplying forwards the call to the fake, then writes 5 bytes
// of a bogus TLS record header below the TLS layer.
func tlsRecordAfterApplying(fakeURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isGenerate(r) {
			relay(w, r, fakeURL)
			return
		}
		_, _, _, _ = forward(r, fakeURL)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		if tc, ok := conn.(*tls.Conn); ok {
			_, _ = tc.NetConn().Write([]byte{0x17, 0x03, 0x01, 0x00, 0x05})
		}
	}
}

// failAfterSending sends a GenerateAPIKey call (the server applies it) and
// then fails it with an error that looks as if no connection was had: a
// RoundTripper that retries with a connection of its own, say. Other calls go
// through.
type failAfterSending struct {
	rt  http.RoundTripper
	err error
}

func (f failAfterSending) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.rt.RoundTrip(r)
	if err != nil || !isGenerate(r) {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, f.err
}

var (
	dialError = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	dnsError  = &net.DNSError{Err: "no such host", Name: "rest.ecgrid.invalid", IsNotFound: true}
)

// lateApply holds a GenerateAPIKey until the client gives up, and applies
// it 600 ms later.
func lateApply(fakeURL string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isGenerate(r) {
			relay(w, r, fakeURL)
			return
		}
		// Read the body first: net/http notices a client that went away only
		// once the request body is consumed.
		body, _ := io.ReadAll(r.Body)
		<-r.Context().Done()
		time.Sleep(600 * time.Millisecond)
		r.Body = io.NopCloser(bytes.NewReader(body))
		_, _, _, _ = forward(r, fakeURL)
	}
}

var matrix = []matrixRow{
	{name: "success", generate: ok, get: ok},
	{name: "400 InvalidParameter", fault: fault(ecgridtest.Fault{Status: 400, RESTCode: "InvalidParameter", SOAPCode: "InvalidParameter"}), kind: ecgrid.ErrInvalidInput, generate: definite, get: definite},
	{name: "401 InvalidAPIKey", fault: fault(ecgridtest.Fault{Status: 401, RESTCode: "InvalidAPIKey", SOAPCode: "Authentication"}), kind: ecgrid.ErrUnauthorized, generate: definite, get: definite},
	{name: "403 AccessDenied", fault: fault(ecgridtest.Fault{Status: 403, RESTCode: "AccessDenied", SOAPCode: "Authorization"}), kind: ecgrid.ErrForbidden, generate: definite, get: definite},
	{name: "404 ObjectNotFound", fault: fault(ecgridtest.Fault{Status: 404, RESTCode: "ObjectNotFound", SOAPCode: "ObjectNotFound"}), kind: ecgrid.ErrNotFound, generate: definite, get: definite},
	{name: "429 persistent", fault: fault(ecgridtest.Fault{Status: 429, RESTCode: "RateLimitExceeded", RetryAfter: "1"}), kind: ecgrid.ErrRateLimited, generate: definite, get: definite},
	{name: "429 once then success", fault: &ecgridtest.Fault{Times: 1, Status: 429, RESTCode: "RateLimitExceeded", RetryAfter: "1"}, generate: ok, get: ok},
	{name: "503 persistent", fault: fault(ecgridtest.Fault{Status: 503}), kind: ecgrid.ErrUnavailable, generate: definite, get: definite},
	{name: "503 once then success", fault: &ecgridtest.Fault{Times: 1, Status: 503}, generate: ok, get: ok},
	{name: "Client fault numeric code", fault: fault(ecgridtest.Fault{Status: 400, RESTCode: "InvalidParameter", FaultCode: "Client", SOAPCode: "5"}), kind: ecgrid.ErrInvalidInput, generate: definite, get: definite},
	{name: "500 after rotating", fault: fault(ecgridtest.Fault{Status: 500, Apply: true}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "500 without rotating", fault: fault(ecgridtest.Fault{Status: 500}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "500 once then success", fault: &ecgridtest.Fault{Times: 1, Status: 500}, kind: ecgrid.ErrServer, generate: unknown, get: ok},
	{name: "ASMX unhandled error after rotating", fault: fault(ecgridtest.Fault{Unhandled: true, Apply: true, Message: "NullReferenceException"}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "502 HTML page", fault: fault(ecgridtest.Fault{HTML: true, Status: 502, Apply: true}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "504", fault: fault(ecgridtest.Fault{Status: 504}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "200 HTML page", fault: fault(ecgridtest.Fault{HTML: true, Status: 200, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "success:false with 200", fault: fault(ecgridtest.Fault{SuccessFalse: true, Apply: true}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "empty key", fault: fault(ecgridtest.Fault{EmptyKey: true, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "truncated body", fault: fault(ecgridtest.Fault{Truncate: true, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "oversized body", fault: fault(ecgridtest.Fault{Oversize: 3 << 20, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "dropped after rotating", fault: fault(ecgridtest.Fault{Drop: ecgridtest.DropAfterApply}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite},
	{name: "dropped before rotating", fault: fault(ecgridtest.Fault{Drop: ecgridtest.DropBeforeApply}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite},
	{name: "slow server, deadline, after rotating", fault: fault(ecgridtest.Fault{Delay: 3 * time.Second, Apply: true}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite, timeout: 500 * time.Millisecond},
	{name: "slow server, deadline, not rotated", fault: fault(ecgridtest.Fault{Delay: 3 * time.Second}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite, timeout: 500 * time.Millisecond},
	{name: "slow server, short context deadline, after rotating", fault: fault(ecgridtest.Fault{Op: "GenerateAPIKey", Delay: 3 * time.Second, Apply: true}), kind: ecgrid.ErrUnavailable, generate: unknown, get: ok, deadline: 500 * time.Millisecond},
	{name: "timeout before sending", special: "expired", kind: ecgrid.ErrUnavailable, generate: definite, get: definite},
	{name: "connection refused", special: "refused", kind: ecgrid.ErrUnavailable, generate: definite, get: definite},
	{name: "cross-host redirect", special: "redirect", kind: ecgrid.ErrRedirect, generate: definite, get: definite},
	// The cases of the outcome-truth issue.
	{name: "TLS record error after rotating", front: tlsRecordAfterApplying, tls: true, kind: ecgrid.ErrUnavailable, generate: unknown, get: ok},
	{name: "reset after rotating, RoundTripper without trace", fault: fault(ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply}),
		client: func() *http.Client { return &http.Client{Transport: traceless{&http.Transport{}}} }, kind: ecgrid.ErrUnavailable, generate: unknown, get: ok},
	{name: "applied 600 ms after the client gave up", front: lateApply, timeout: 300 * time.Millisecond, kind: ecgrid.ErrUnavailable, generate: unknown, get: ok},
	{name: "fault soap:server after rotating", front: onGenerate(true, faultWithCode("soap:server")), kind: ecgrid.ErrServer, generate: unknown, get: ok},
	{name: "fault soap:Server soap:Client after rotating", front: onGenerate(true, faultWithCode("soap:Server soap:Client")), kind: ecgrid.ErrServer, generate: unknown, get: ok},
	{name: "fault without a code after rotating", front: onGenerate(true, faultWithCode("")), kind: ecgrid.ErrServer, generate: unknown, get: ok},
	{name: "fault without a code, unknown error code, after rotating", front: onGenerate(true, faultWithCodes("", "99")), kind: ecgrid.ErrServer, generate: unknown, get: ok},
	{name: "fault soap:client (lower case) after rotating", front: onGenerate(true, faultWithCodes("soap:client", "InvalidParameter")), kind: ecgrid.ErrServer, generate: unknown, get: ok},
	{name: "dial error after sending", fault: fault(ecgridtest.Fault{Op: "GenerateAPIKey"}),
		client: func() *http.Client { return &http.Client{Transport: failAfterSending{&http.Transport{}, dialError}} }, kind: ecgrid.ErrUnavailable, generate: unknown, get: ok},
	{name: "DNS error after sending", fault: fault(ecgridtest.Fault{Op: "GenerateAPIKey"}),
		client: func() *http.Client { return &http.Client{Transport: failAfterSending{&http.Transport{}, dnsError}} }, kind: ecgrid.ErrUnavailable, generate: unknown, get: ok},
	{name: "result and Client fault after rotating", front: onGenerate(true, resultAndFault), kind: ecgrid.ErrBadResponse, generate: unknown, get: ok},
	{name: "Server fault with a refusal code, not rotated", front: onGenerate(false, split(apiError(500, "AccessDenied", "", "", "x"),
		func(w http.ResponseWriter, _ *http.Request, v string) {
			write(w, 500, soapContentType(v), soapFaultDoc(v, "Server", "Authorization", "x"))
		})), generate: unknown, get: ok},
}

// tally counts what the matrix found.
type tally struct {
	rows, lost, falseCertainties atomic.Int64
}

// TestFaultMatrix runs every row on REST, SOAP 1.1 and SOAP 1.2, for each
// operation, and checks the server's own state, not only what the SDK said:
// a definite failure leaves the old key working; a success returns a key
// that works and differs from the previous one; nothing is reported
// rotated that was not; an unknown outcome is recovered with GetAPIKey.
// Every error matches exactly one kind.
func TestFaultMatrix(t *testing.T) {
	var n tally
	for _, row := range matrix {
		for _, tc := range transports {
			for _, op := range []string{"GenerateAPIKey", "GetAPIKey", "RotateAPIKey", "RotateAPIKey(Self)"} {
				n.rows.Add(1)
				t.Run(row.name+"/"+tc.name+"/"+op, func(t *testing.T) {
					runMatrixRow(t, &n, row, tc, op)
				})
			}
		}
	}
	fmt.Printf("fault matrix: %d rows, %d keys lost, %d false certainties\n", n.rows.Load(), n.lost.Load(), n.falseCertainties.Load())
	assert.Zero(t, n.lost.Load(), "keys lost")
	assert.Zero(t, n.falseCertainties.Load(), "false certainties")
}

// matrixServer starts the fake, and the front or the special case's server,
// and returns the fake and the URLs the client must use.
func matrixServer(t *testing.T, row matrixRow) (srv *ecgridtest.Server, restURL, soapURL string, hc *http.Client) {
	srv = fakeECGrid()
	t.Cleanup(srv.Close)
	restURL, soapURL = srv.URL, srv.SOAPURL
	if row.client != nil {
		hc = row.client()
	}
	switch {
	case row.front != nil:
		p := httptest.NewUnstartedServer(row.front(srv.URL))
		if row.tls {
			p.StartTLS()
			hc = p.Client()
		} else {
			p.Start()
		}
		t.Cleanup(p.Close)
		restURL, soapURL = p.URL, p.URL+ecgridtest.SOAPPath
	case row.special == "refused":
		restURL = closedURL(t)
		soapURL = restURL + "/soap"
	case row.special == "redirect":
		other := httptest.NewServer(nil)
		t.Cleanup(other.Close)
		srv.Inject(ecgridtest.Fault{Times: ecgridtest.Forever, RedirectTo: other.URL})
	}
	if row.fault != nil {
		srv.Inject(*row.fault)
	}
	return srv, restURL, soapURL, hc
}

func runMatrixRow(t *testing.T, n *tally, row matrixRow, tc transportCase, op string) {
	srv, restURL, soapURL, hc := matrixServer(t, row)
	opts := []ecgrid.Option{ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff})}
	if row.timeout > 0 {
		opts = append(opts, ecgrid.WithTimeout(row.timeout))
	}
	if hc != nil {
		opts = append(opts, ecgrid.WithHTTPClient(hc))
	}
	ctx := context.Background()
	switch {
	case row.special == "expired":
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
		defer cancel()
	case row.deadline > 0:
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, row.deadline)
		defer cancel()
	}
	// falseCertainty records a claim the server's state contradicts.
	falseCertainty := func(format string, args ...any) {
		n.falseCertainties.Add(1)
		t.Errorf("false certainty: "+format, args...)
	}
	settle := func() string { // the server's state, once nothing is in flight
		if row.front != nil && strings.Contains(row.name, "600 ms") {
			time.Sleep(900 * time.Millisecond)
		}
		srv.ClearFaults()
		k, _ := srv.Key(42)
		return k
	}

	switch op {
	case "GenerateAPIKey", "GetAPIKey":
		key := userKey
		want := row.generate
		if op == "GetAPIKey" {
			key, want = adminKey, row.get
		}
		c := userClient(t, tc, key, restURL, soapURL, opts...)
		got, err := call(ctx, c, op, 42)
		if err != nil {
			assertOneKind(t, err)
			if row.kind != nil {
				assert.ErrorIs(t, err, row.kind)
			}
		}
		current := settle()
		checkClass(t, want, err)
		switch {
		case err == nil && op == "GenerateAPIKey":
			if got != current || got == userKey {
				falseCertainty("reported rotated to %q, the server holds %q (old %q)", got, current, userKey)
			}
			assertWorks(t, tc, srv, userKey, false)
			assertWorks(t, tc, srv, got, true)
		case err == nil:
			if got != current {
				falseCertainty("GetAPIKey answered %q, the server holds %q", got, current)
			}
		case op == "GetAPIKey" && errors.Is(err, ecgrid.ErrOutcomeUnknown):
			t.Errorf("a read can't have an unknown outcome: %v", err)
		case errors.Is(err, ecgrid.ErrOutcomeUnknown):
			recoverWithAdmin(t, n, tc, srv, current)
		default: // definite
			if current != userKey {
				falseCertainty("said the old key still works, the server rotated it: %v", err)
			}
			if op == "GenerateAPIKey" {
				assertWorks(t, tc, srv, userKey, true)
			}
		}

	case "RotateAPIKey", "RotateAPIKey(Self)":
		var c *ecgrid.Client
		ro := ecgrid.RotateOptions{}
		if op == "RotateAPIKey" {
			c = userClient(t, tc, adminKey, restURL, soapURL, opts...)
		} else {
			c = userClient(t, tc, userKey, restURL, soapURL, opts...)
			admin := ecgrid.Credentials{APIKey: adminKey}
			ro = ecgrid.RotateOptions{Self: true, Recovery: &admin}
		}
		var stored string
		ro.Persist = func(_ context.Context, k string) error { stored = k; return nil }
		r, err := c.RotateAPIKey(ctx, 42, ro)
		if err != nil {
			assertOneKind(t, err)
		}
		current := settle()
		switch {
		case err == nil:
			if !r.Rotated || r.Key != current || current == userKey || stored != current {
				falseCertainty("reported %v with key %q (stored %q), the server holds %q (old %q)", r, r.Key, stored, current, userKey)
			}
		case r.Rotated && r.Key != current:
			falseCertainty("reported Rotated with key %q, the server holds %q", r.Key, current)
		case errors.Is(err, ecgrid.ErrOutcomeUnknown):
			if r.Key != "" && r.Key != userKey && r.Key != current {
				falseCertainty("gave %q as the key that works, the server holds %q", r.Key, current)
			}
			recoverWithAdmin(t, n, tc, srv, current)
		default: // definite
			if current != userKey {
				falseCertainty("said nothing was rotated, the server rotated: %v", err)
			}
		}
		if r.Switched {
			got, err := c.Sessions().WhoAmI(context.Background())
			require.NoError(t, err, "the switched client works")
			assert.Equal(t, 42, got.UserID)
		}
	}
}

// checkClass checks what the SDK said against the row's expectation.
func checkClass(t *testing.T, want class, err error) {
	t.Helper()
	switch want {
	case ok:
		assert.NoError(t, err)
	case definite:
		if assert.Error(t, err) {
			assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown), "%v", err)
		}
	case unknown:
		if assert.Error(t, err) {
			assert.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown)
			assert.Contains(t, err.Error(), "GetAPIKey", "the message must say how to recover")
		}
	}
}

// recoverWithAdmin reads the key as the advice says; a failure to recover
// the server's current key is a key lost.
func recoverWithAdmin(t *testing.T, n *tally, tc transportCase, srv *ecgridtest.Server, current string) {
	t.Helper()
	got, err := userClient(t, tc, adminKey, srv.URL, srv.SOAPURL).Users().GetAPIKey(context.Background(), 42)
	if err != nil || got != current {
		n.lost.Add(1)
		t.Errorf("key lost: recovery read %q, %v; the server holds %q", got, err, current)
	}
}

// assertWorks checks, with WhoAmI, whether key authenticates user 42.
func assertWorks(t *testing.T, tc transportCase, srv *ecgridtest.Server, key string, works bool) {
	t.Helper()
	id, err := userClient(t, tc, key, srv.URL, srv.SOAPURL).Sessions().WhoAmI(context.Background())
	if works {
		if assert.NoError(t, err, "the key works") {
			assert.Equal(t, 42, id.UserID)
		}
	} else {
		assert.ErrorIs(t, err, ecgrid.ErrUnauthorized, "the key is dead")
	}
}

func userClient(t *testing.T, tc transportCase, key, restURL, soapURL string, opts ...ecgrid.Option) *ecgrid.Client {
	t.Helper()
	all := []ecgrid.Option{ecgrid.WithAPIKey(key), ecgrid.WithRESTURL(restURL), ecgrid.WithSOAPURL(soapURL)}
	if tc.version != "" {
		all = append(all, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)))
	}
	c, err := ecgrid.New(append(all, opts...)...)
	require.NoError(t, err)
	return c
}
