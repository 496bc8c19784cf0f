package ecgrid_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
)

// clientFor returns a client of transport tc aimed at base (a REST base URL;
// SOAP goes to base + "/soap"), with retries off unless opts say otherwise.
func clientFor(t *testing.T, tc transportCase, base string, opts ...ecgrid.Option) *ecgrid.Client {
	t.Helper()
	all := []ecgrid.Option{
		ecgrid.WithAPIKey(testAPIKey),
		ecgrid.WithRESTURL(base),
		ecgrid.WithSOAPURL(base + "/soap"),
		ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1}),
	}
	if tc.version != "" {
		all = append(all, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)),
			ecgrid.WithSessionID(testSessionID))
	}
	c, err := ecgrid.New(append(all, opts...)...)
	require.NoError(t, err)
	return c
}

func versionOf(r *http.Request) string {
	if !strings.HasSuffix(r.URL.Path, "/soap") {
		return ""
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/soap+xml") {
		return "1.2"
	}
	return "1.1"
}

// scenario is one server behaviour and what both transports must make of it.
type scenario struct {
	name    string
	answer  responder
	kind    error
	unknown bool          // GenerateAPIKey's outcome is unknown
	status  int           // expected Error.StatusCode, if not 0
	timeout time.Duration // client WithTimeout
	url     string        // "closed": nothing listens; "redirect": redirect to another server
	check   func(t *testing.T, e *ecgrid.Error)
}

const ecgridNS = "https://os.ecgrid.io/"

var scenarios = []scenario{
	{name: "401 InvalidAPIKey / Client fault Authentication", kind: ecgrid.ErrUnauthorized,
		answer: apiError(401, "InvalidAPIKey", "Client", "Authentication", "The provided credential {cred} is not valid")},
	{name: "401 InvalidSession / Sender fault Authentication", kind: ecgrid.ErrUnauthorized,
		answer: apiError(401, "InvalidSession", "Client", "Authentication", "Invalid Session ID {cred}")},
	{name: "403 AccessDenied / Authorization", kind: ecgrid.ErrForbidden,
		answer: apiError(403, "AccessDenied", "Client", "Authorization", "AuthLevel too low")},
	{name: "404 ObjectNotFound / ObjectNotFound", kind: ecgrid.ErrNotFound,
		answer: apiError(404, "ObjectNotFound", "Client", "ObjectNotFound", "no such user")},
	{name: "400 InvalidParameter / InvalidParameter", kind: ecgrid.ErrInvalidInput,
		answer: apiError(400, "InvalidParameter", "Client", "InvalidParameter", "UserID")},
	{name: "400 DuplicateObject / Client fault numeric code", kind: ecgrid.ErrInvalidInput,
		answer: apiError(400, "DuplicateObject", "Client", "5", "duplicate")},
	{name: "500 InternalError / Server fault SystemError", kind: ecgrid.ErrServer, unknown: true, status: 500,
		answer: apiError(500, "InternalError", "Server", "SystemError", "boom")},
	{name: "500 unknown code / Server fault numeric code", kind: ecgrid.ErrServer, unknown: true,
		answer: apiError(500, "Whatever", "Server", "99", "boom")},
	{name: "429 with Retry-After", kind: ecgrid.ErrRateLimited, status: 429,
		answer: split(both(429, "application/json", `{"success":false,"errorCode":"RateLimitExceeded","message":"slow down","data":null}`, "Retry-After", "7"),
			both(429, "text/plain", "Too Many Requests", "Retry-After", "7")),
		check: func(t *testing.T, e *ecgrid.Error) { assert.Equal(t, 7*time.Second, e.RetryAfter) }},
	{name: "503 plain", kind: ecgrid.ErrUnavailable, status: 503,
		answer: both(503, "text/plain", "Service Unavailable")},
	{name: "502 HTML page", kind: ecgrid.ErrServer, unknown: true, status: 502,
		answer: both(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>")},
	{name: "504 empty", kind: ecgrid.ErrServer, unknown: true, status: 504, answer: both(504, "", "")},
	{name: "501 not implemented", kind: ecgrid.ErrUnavailable, status: 501, answer: both(501, "text/plain", "no")},
	{name: "404 HTML (no such route)", kind: ecgrid.ErrNotFound, status: 404,
		answer: both(404, "text/html", "<html>Not Found</html>"),
		check:  func(t *testing.T, e *ecgrid.Error) { assert.Empty(t, e.Code) }},
	{name: "200 HTML page", kind: ecgrid.ErrBadResponse, unknown: true, status: 200,
		answer: both(200, "text/html", "<html><body>Welcome</body></html>")},
	{name: "200 refusal: success:false AccessDenied / fault with 200", kind: ecgrid.ErrForbidden, status: 200,
		answer: split(both(200, "application/json", `{"success":false,"errorCode":"AccessDenied","message":"no","data":null}`),
			func(w http.ResponseWriter, _ *http.Request, v string) {
				write(w, 200, soapContentType(v), soapFaultDoc(v, "Client", "Authorization", "no"))
			})},
	{name: "200 success:false without code / empty body", kind: ecgrid.ErrBadResponse, unknown: true,
		answer: split(both(200, "application/json", `{"success":false,"errorCode":"","message":"","data":null}`),
			both(200, "text/xml", ""))},
	{name: "200 empty key", kind: ecgrid.ErrBadResponse, unknown: true, answer: success("")},
	{name: "200 key of spaces", kind: ecgrid.ErrBadResponse, unknown: true, answer: success("   ")},
	{name: "200 no key: data null / no Result element", kind: ecgrid.ErrBadResponse, unknown: true,
		answer: split(both(200, "application/json", `{"success":true,"data":null,"errorCode":"","message":""}`),
			func(w http.ResponseWriter, r *http.Request, v string) {
				write(w, 200, soapContentType(v), soapDoc(v, `<GenerateAPIKeyResponse xmlns="`+ecgridNS+`"/>`))
			})},
	// Found against node-soap: its own fault is 1.2-shaped inside a 1.1
	// envelope, with an undeclared prefix in the code and no detail.
	{name: "node-soap handler fault", kind: ecgrid.ErrServer, unknown: true, status: 500,
		answer: split(apiError(500, "InternalError", "", "", "handler failed"), func(w http.ResponseWriter, _ *http.Request, v string) {
			p, ns := envelopeNS(v)
			write(w, 500, soapContentType(v), `<?xml version="1.0" encoding="utf-8"?><`+p+`:Envelope xmlns:`+p+`="`+ns+`"  xmlns:tns="https://os.ecgrid.io/"><`+p+`:Body><`+p+`:Fault><`+p+`:Code><`+p+`:Value>SOAP-ENV:Server</`+p+`:Value><`+p+`:Subcode><`+p+`:Value>InternalServerError</`+p+`:Value></`+p+`:Subcode></`+p+`:Code><`+p+`:Reason><`+p+`:Text>Error: handler failed</`+p+`:Text></`+p+`:Reason></`+p+`:Fault></`+p+`:Body></`+p+`:Envelope>`)
		})},
	// Found against node-soap: the detail's child carries the envelope prefix.
	{name: "node-soap prefixed error code", kind: ecgrid.ErrForbidden,
		answer: split(apiError(403, "AccessDenied", "", "", "no"), func(w http.ResponseWriter, _ *http.Request, v string) {
			p, ns := envelopeNS(v)
			write(w, 500, soapContentType(v), `<?xml version="1.0" encoding="utf-8"?><`+p+`:Envelope xmlns:`+p+`="`+ns+`"><`+p+`:Body><`+p+`:Fault><`+p+`:Code><`+p+`:Value>`+p+`:Sender</`+p+`:Value></`+p+`:Code><`+p+`:Reason><`+p+`:Text>Not authorized for this user</`+p+`:Text></`+p+`:Reason><`+p+`:Detail><`+p+`:ECGridOSSOAPErrorCode>Authorization</`+p+`:ECGridOSSOAPErrorCode></`+p+`:Detail></`+p+`:Fault></`+p+`:Body></`+p+`:Envelope>`)
		})},
	// A gateway's 429 or 503 proves the call was refused, whatever body it carries.
	{name: "503 with InternalError envelope / Server fault", kind: ecgrid.ErrUnavailable, status: 503,
		answer: split(apiError(503, "InternalError", "", "", "maintenance"), func(w http.ResponseWriter, _ *http.Request, v string) {
			write(w, 503, soapContentType(v), soapFaultDoc(v, "Server", "SystemError", "maintenance"))
		})},
	{name: "truncated body", kind: ecgrid.ErrBadResponse, unknown: true, answer: truncated},
	{name: "oversized body", kind: ecgrid.ErrBadResponse, unknown: true, answer: oversized},
	{name: "connection dropped after request", kind: ecgrid.ErrUnavailable, unknown: true, answer: drop},
	{name: "timeout after sending", kind: ecgrid.ErrUnavailable, unknown: true, answer: stall, timeout: 500 * time.Millisecond,
		check: func(t *testing.T, e *ecgrid.Error) { assert.ErrorIs(t, e, context.DeadlineExceeded) }},
	{name: "connection refused", kind: ecgrid.ErrUnavailable, url: "closed"},
	{name: "cross-host redirect", kind: ecgrid.ErrRedirect, url: "redirect", status: 307},
}

// TestScenarios runs every scenario against REST, SOAP 1.1 and SOAP 1.2 and
// requires the same kind and outcome class from each.
func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		for _, tc := range transports {
			t.Run(sc.name+"/"+tc.name, func(t *testing.T) {
				var logs bytes.Buffer
				logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				base, other := scenarioURL(t, sc)
				opts := []ecgrid.Option{ecgrid.WithLogger(logger)}
				if sc.timeout > 0 {
					opts = append(opts, ecgrid.WithTimeout(sc.timeout))
				}
				c := clientFor(t, tc, base, opts...)

				for _, op := range []string{"GenerateAPIKey", "GetAPIKey"} {
					key, err := call(context.Background(), c, op, 42)
					require.Error(t, err, op)
					assert.Empty(t, key)
					assert.ErrorIs(t, err, sc.kind, op)
					wantUnknown := sc.unknown && op == "GenerateAPIKey"
					assert.Equal(t, wantUnknown, errors.Is(err, ecgrid.ErrOutcomeUnknown), "%s outcome unknown: %v", op, err)

					var e *ecgrid.Error
					require.ErrorAs(t, err, &e)
					assert.Equal(t, op, e.Op)
					assert.Equal(t, 42, e.UserID)
					assert.Equal(t, e.StatusCode, e.HTTPStatusCode())
					assert.Equal(t, e.Code, e.ErrorCode())
					assert.Equal(t, map[string]ecgrid.Transport{"": ecgrid.REST, "1.1": ecgrid.SOAP, "1.2": ecgrid.SOAP}[tc.version], e.Transport)
					if sc.status != 0 {
						assert.Equal(t, sc.status, e.StatusCode)
					}
					if wantUnknown {
						assert.Contains(t, err.Error(), "GetAPIKey", "the message must say how to recover")
					} else if op == "GenerateAPIKey" {
						assert.Contains(t, err.Error(), "old key still works")
					}
					if sc.check != nil {
						sc.check(t, e)
					}
					assertNoSecret(t, err.Error(), fmt.Sprintf("%v|%+v|%#v|%s", err, e, e, e))
				}
				assertNoSecret(t, logs.String())
				if other != nil {
					assert.Zero(t, other.hits.Load(), "the redirect target must receive nothing")
				}
			})
		}
	}
}

// scenarioURL starts the scenario's server and returns its base URL and, for
// a redirect, the server redirected to.
func scenarioURL(t *testing.T, sc scenario) (string, *server) {
	t.Helper()
	switch sc.url {
	case "closed":
		return closedURL(t), nil
	case "redirect":
		other := serve(t, success(testNewKey))
		// The other host: "localhost" instead of 127.0.0.1 is a different host name.
		target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
		})
		return s.URL, other
	}
	s := serve(t, sc.answer)
	return s.URL, nil
}

func assertNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, s := range secrets {
			assert.NotContains(t, text, s, "a secret leaked")
		}
	}
}

// TestScenarioSuccess checks the answers that must parse on every transport.
func TestScenarioSuccess(t *testing.T) {
	cases := []struct {
		name   string
		answer responder
	}{
		{"plain", success(testNewKey)},
		{"32-character key", success("mnp456qrs789tuv012wxy345zab678cd")},
		{"prefixed SOAP answer", split(success(testNewKey), func(w http.ResponseWriter, r *http.Request, v string) {
			op := soapOp(r)
			write(w, 200, soapContentType(v), soapDoc(v, `<m:`+op+`Response xmlns:m="`+ecgridNS+`"><m:`+op+`Result>`+testNewKey+`</m:`+op+`Result></m:`+op+`Response>`))
		})},
		{"old namespace www.ecgridos.net", split(success(testNewKey), func(w http.ResponseWriter, r *http.Request, v string) {
			write(w, 200, soapContentType(v), soapResult(v, soapOp(r), "http://www.ecgridos.net/", testNewKey))
		})},
		{"old namespace ecgridos.net with whitespace", split(
			both(200, "application/json", "{\n  \"success\": true,\n  \"data\": \""+testNewKey+"\",\n  \"errorCode\": \"\",\n  \"message\": \"\", \"extra\": 1\n}"),
			func(w http.ResponseWriter, r *http.Request, v string) {
				op := soapOp(r)
				write(w, 200, soapContentType(v), soapDoc(v, "\n  <"+op+"Response xmlns=\"http://ecgridos.net/\">\n    <"+op+"Result>\n      "+testNewKey+"\n    </"+op+"Result>\n  </"+op+"Response>\n"))
			})},
		{"ISO-8859-1 declared", split(success(testNewKey), func(w http.ResponseWriter, r *http.Request, v string) {
			doc := strings.Replace(soapResult(v, soapOp(r), ecgridNS, testNewKey), `encoding="utf-8"`, `encoding="ISO-8859-1"`, 1)
			write(w, 200, "text/xml; charset=ISO-8859-1", doc)
		})},
		{"SOAP header before body", split(success(testNewKey), func(w http.ResponseWriter, r *http.Request, v string) {
			p, ns := envelopeNS(v)
			op := soapOp(r)
			write(w, 200, soapContentType(v), `<`+p+`:Envelope xmlns:`+p+`="`+ns+`"><`+p+`:Header><x>1</x></`+p+`:Header><`+p+`:Body><`+op+`Response xmlns="`+ecgridNS+`"><`+op+`Result>`+testNewKey+`</`+op+`Result></`+op+`Response></`+p+`:Body></`+p+`:Envelope>`)
		})},
	}
	for _, cs := range cases {
		for _, tc := range transports {
			t.Run(cs.name+"/"+tc.name, func(t *testing.T) {
				s := serve(t, cs.answer)
				c := clientFor(t, tc, s.URL)
				key, err := c.Users().GenerateAPIKey(context.Background(), 42)
				require.NoError(t, err)
				assert.NotEmpty(t, key)
				assert.Equal(t, strings.TrimSpace(key), key)
				key2, err := c.Users().GetAPIKey(context.Background(), 42)
				require.NoError(t, err)
				assert.Equal(t, key, key2)
			})
		}
	}
}

// TestInvalidUserID checks that bad IDs fail before anything is sent, the
// same on every transport.
func TestInvalidUserID(t *testing.T) {
	for _, tc := range transports {
		for _, id := range []int{0, -1, ecgrid.MaxUserID + 1, -1 << 40} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, id), func(t *testing.T) {
				s := serve(t, success(testNewKey))
				c := clientFor(t, tc, s.URL)
				_, err := c.Users().GenerateAPIKey(context.Background(), id)
				require.ErrorIs(t, err, ecgrid.ErrInvalidInput)
				assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown))
				assert.Contains(t, err.Error(), "out of range")
				_, err = c.Users().GetAPIKey(context.Background(), id)
				require.ErrorIs(t, err, ecgrid.ErrInvalidInput)
				assert.Zero(t, s.hits.Load(), "nothing may be sent")
			})
		}
	}
	t.Run("max is accepted", func(t *testing.T) {
		s := serve(t, success(testNewKey))
		c := clientFor(t, transports[1], s.URL)
		_, err := c.Users().GetAPIKey(context.Background(), ecgrid.MaxUserID)
		require.NoError(t, err)
	})
}
