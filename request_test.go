package ecgrid_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/h2non/gock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
)

// gockClient returns an *http.Client intercepted by gock, with real
// networking off, and registers the cleanup that checks every mock was used.
// gock is global: these tests don't run in parallel.
func gockClient(t *testing.T) *http.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	gock.InterceptClient(hc)
	gock.DisableNetworking()
	t.Cleanup(func() {
		assert.True(t, gock.IsDone(), "every mock must be used")
		assert.False(t, gock.HasUnmatchedRequest(), "no request may go unmatched")
		gock.Off()
		gock.EnableNetworking()
		gock.CleanUnmatchedRequest()
	})
	return hc
}

const gockHost = "https://api.test.invalid"

// TestRESTRequestShape checks the exact method, path and headers of each REST call.
func TestRESTRequestShape(t *testing.T) {
	cases := []struct {
		name, method, path string
		opts               []ecgrid.Option
		header, value      string
		call               func(ecgrid.Users) (string, error)
	}{
		{"generate with API key", "POST", "/v2/users/key-generate/4", []ecgrid.Option{ecgrid.WithAPIKey(testAPIKey)},
			"X-API-Key", testAPIKey, func(u ecgrid.Users) (string, error) { return u.GenerateAPIKey(context.Background(), 4) }},
		{"get with API key", "GET", "/v2/users/key/4", []ecgrid.Option{ecgrid.WithAPIKey(testAPIKey)},
			"X-API-Key", testAPIKey, func(u ecgrid.Users) (string, error) { return u.GetAPIKey(context.Background(), 4) }},
		{"generate with bearer token", "POST", "/v2/users/key-generate/2147483647", []ecgrid.Option{ecgrid.WithBearerToken("tok-123")},
			"Authorization", "Bearer tok-123", func(u ecgrid.Users) (string, error) {
				return u.GenerateAPIKey(context.Background(), ecgrid.MaxUserID)
			}},
		{"API key preferred over bearer", "GET", "/v2/users/key/4", []ecgrid.Option{ecgrid.WithBearerToken("tok-123"), ecgrid.WithAPIKey(testAPIKey)},
			"X-API-Key", testAPIKey, func(u ecgrid.Users) (string, error) { return u.GetAPIKey(context.Background(), 4) }},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			hc := gockClient(t)
			// Anchored: a mock for user 4 must not answer user 42.
			req := gock.New(gockHost)
			if cs.method == "POST" {
				req = req.Post("^" + cs.path + "$")
			} else {
				req = req.Get("^" + cs.path + "$")
			}
			req.
				MatchHeader(cs.header, "^"+regexpQuote(cs.value)+"$").
				MatchHeader("User-Agent", `^ecgrid-go/`+regexpQuote(ecgrid.Version)+` myapp/1\.0$`).
				MatchHeader("Accept", "^application/json$").
				Reply(200).JSON(map[string]any{"success": true, "data": testNewKey, "errorCode": "", "message": ""})
			gock.Observe(func(r *http.Request, _ gock.Mock) {
				assert.Equal(t, cs.method, r.Method)
				if cs.header == "X-API-Key" {
					assert.Empty(t, r.Header.Get("Authorization"), "one credential per request")
				}
			})
			t.Cleanup(func() { gock.Observe(nil) })
			c, err := ecgrid.New(append(cs.opts, ecgrid.WithHTTPClient(hc), ecgrid.WithRESTURL(gockHost),
				ecgrid.WithUserAgent("myapp/1.0"))...)
			require.NoError(t, err)
			key, err := cs.call(c.Users())
			require.NoError(t, err)
			assert.Equal(t, testNewKey, key)
		})
	}
}

func regexpQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `.`, `\.`, `+`, `\+`, `*`, `\*`, `?`, `\?`, `(`, `\(`, `)`, `\)`,
		`[`, `\[`, `]`, `\]`, `{`, `\{`, `}`, `\}`, `^`, `\^`, `$`, `\$`, `|`, `\|`)
	return r.Replace(s)
}

// TestSOAPRequestShape checks the exact headers and body of each SOAP call,
// including the escaping of a SessionID holding <&"'>.
func TestSOAPRequestShape(t *testing.T) {
	const esc = `SID-&lt;&amp;&quot;&apos;&gt;-SECRET-session`
	cases := []struct {
		name, version, ns, op     string
		contentType, soapAction   string
		envelopeNS, envelopeP, id string
	}{
		{"1.1 generate", "1.1", "https://os.ecgrid.io/", "GenerateAPIKey", "text/xml; charset=utf-8",
			`"https://os.ecgrid.io/GenerateAPIKey"`, "http://schemas.xmlsoap.org/soap/envelope/", "soap", "42"},
		{"1.1 get", "1.1", "https://os.ecgrid.io/", "UserGetAPIKey", "text/xml; charset=utf-8",
			`"https://os.ecgrid.io/UserGetAPIKey"`, "http://schemas.xmlsoap.org/soap/envelope/", "soap", "42"},
		{"1.2 generate", "1.2", "https://os.ecgrid.io/", "GenerateAPIKey",
			`application/soap+xml; charset=utf-8; action="https://os.ecgrid.io/GenerateAPIKey"`, "",
			"http://www.w3.org/2003/05/soap-envelope", "soap", "42"},
		{"1.2 get, old namespace", "1.2", "http://www.ecgridos.net/", "UserGetAPIKey",
			`application/soap+xml; charset=utf-8; action="http://www.ecgridos.net/UserGetAPIKey"`, "",
			"http://www.w3.org/2003/05/soap-envelope", "soap", "42"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			hc := gockClient(t)
			want := `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="` + cs.envelopeNS + `"><soap:Body>` +
				`<` + cs.op + ` xmlns="` + cs.ns + `"><SessionID>` + esc + `</SessionID><UserID>` + cs.id + `</UserID></` + cs.op + `>` +
				`</soap:Body></soap:Envelope>`
			var gotBody string
			m := gock.New(gockHost).Post("^/v4\\.1/prod/ECGridOS\\.asmx$").
				MatchHeader("Content-Type", "^"+regexpQuote(cs.contentType)+"$")
			if cs.soapAction != "" {
				m = m.MatchHeader("SOAPAction", "^"+regexpQuote(cs.soapAction)+"$")
			}
			m.Reply(200).SetHeader("Content-Type", "text/xml").
				BodyString(soapResult(cs.version, cs.op, cs.ns, testNewKey))
			gock.Observe(func(r *http.Request, _ gock.Mock) {
				if r.Body != nil {
					b, _ := io.ReadAll(r.Body)
					gotBody = string(b)
				}
				if cs.soapAction == "" {
					assert.Empty(t, r.Header.Get("SOAPAction"), "SOAP 1.2 carries the action in Content-Type")
				}
			})
			t.Cleanup(func() { gock.Observe(nil) })

			opts := []ecgrid.Option{ecgrid.WithHTTPClient(hc), ecgrid.WithTransport(ecgrid.SOAP),
				ecgrid.WithSOAPURL(gockHost + "/v4.1/prod/ECGridOS.asmx"), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(cs.version)),
				ecgrid.WithSOAPNamespace(cs.ns), ecgrid.WithSessionID(testSessionID), ecgrid.WithAPIKey(testAPIKey)}
			c, err := ecgrid.New(opts...)
			require.NoError(t, err)
			var key string
			key, err = call(context.Background(), c, cs.op, 42)
			require.NoError(t, err)
			assert.Equal(t, testNewKey, key)
			assert.Equal(t, want, gotBody)
		})
	}
}

// TestSOAPSessionPreferredOverAPIKey checks which credential SOAP sends.
func TestSOAPSessionPreferredOverAPIKey(t *testing.T) {
	cases := []struct {
		name string
		opts []ecgrid.Option
		want string
	}{
		{"API key only", []ecgrid.Option{ecgrid.WithAPIKey("only-the-key")}, "<SessionID>only-the-key</SessionID>"},
		{"both", []ecgrid.Option{ecgrid.WithAPIKey("the-key"), ecgrid.WithSessionID("the-session")}, "<SessionID>the-session</SessionID>"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			var body string
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { success(testNewKey)(w, r, "1.1") })
			s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				body = string(b)
				success(testNewKey)(w, r, "1.1")
			})
			c, err := ecgrid.New(append(cs.opts, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(s.URL))...)
			require.NoError(t, err)
			_, err = c.Users().GetAPIKey(context.Background(), 7)
			require.NoError(t, err)
			assert.Contains(t, body, cs.want)
		})
	}
}

// TestRESTPostHasEmptyBody checks key generation sends no body, declared as
// Content-Length: 0 rather than an empty chunked stream.
func TestRESTPostHasEmptyBody(t *testing.T) {
	type seen struct {
		contentLength    int64
		transferEncoding []string
		body             string
	}
	got := make(chan seen, 1)
	s := newServer(t, nil)
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.ContentLength, r.TransferEncoding, string(b)}
		success(testNewKey)(w, r, "")
	})
	c := clientFor(t, transports[0], s.URL)
	_, err := c.Users().GenerateAPIKey(context.Background(), 42)
	require.NoError(t, err)
	g := <-got
	assert.Equal(t, int64(0), g.contentLength)
	assert.Empty(t, g.transferEncoding)
	assert.Empty(t, g.body)
}
