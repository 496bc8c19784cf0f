package ecgrid_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
)

// TestNewRejectsBadConfiguration checks each bad configuration fails in New
// with a message that says what is wrong, and without a secret.
func TestNewRejectsBadConfiguration(t *testing.T) {
	key := ecgrid.WithAPIKey(testAPIKey)
	cases := []struct {
		name string
		opts []ecgrid.Option
		want string
	}{
		{"no credential", nil, "no credential"},
		{"empty API key", []ecgrid.Option{ecgrid.WithAPIKey("")}, "API key is empty"},
		{"API key with newline", []ecgrid.Option{ecgrid.WithAPIKey(testAPIKey + "\n")}, "white space"},
		{"API key with control character", []ecgrid.Option{ecgrid.WithAPIKey("ab\x00cd")}, "not printable"},
		{"API key with a bidi override", []ecgrid.Option{ecgrid.WithAPIKey("ab\u202ecd")}, "not printable"},
		{"API key with NEL", []ecgrid.Option{ecgrid.WithAPIKey("ab\u0085cd")}, "not printable"},
		{"session ID on REST", []ecgrid.Option{ecgrid.WithSessionID(testSessionID)}, "REST transport can't use a SOAP session ID"},
		{"bearer token on SOAP", []ecgrid.Option{ecgrid.WithBearerToken("tok-SECRET"), ecgrid.WithTransport(ecgrid.SOAP)}, "SOAP transport can't use a bearer token"},
		{"bearer token with SOAP fallback", []ecgrid.Option{ecgrid.WithBearerToken("tok-SECRET"), ecgrid.WithSOAPFallback()}, "SOAP transport can't use a bearer token"},
		{"fallback on SOAP", []ecgrid.Option{key, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPFallback()}, "needs REST as the primary"},
		{"unknown transport", []ecgrid.Option{key, ecgrid.WithTransport("grpc")}, `unknown transport "grpc"`},
		{"SOAP 1.3", []ecgrid.Option{key, ecgrid.WithSOAPVersion("1.3")}, `unsupported SOAP version "1.3"`},
		{"unparsable REST URL", []ecgrid.Option{key, ecgrid.WithRESTURL("http://[::1")}, "not a valid URL"},
		{"relative REST URL", []ecgrid.Option{key, ecgrid.WithRESTURL("rest.ecgrid.io")}, "must start with https://"},
		{"ftp SOAP URL", []ecgrid.Option{key, ecgrid.WithSOAPURL("ftp://os.ecgrid.io/x")}, "must start with https://"},
		{"http to a remote host", []ecgrid.Option{key, ecgrid.WithRESTURL("http://rest.ecgrid.io")}, "plain http:// to a host that is not loopback"},
		{"http to a private address", []ecgrid.Option{key, ecgrid.WithSOAPURL("http://10.0.0.1/x")}, "not loopback"},
		{"user info in URL", []ecgrid.Option{key, ecgrid.WithRESTURL("https://user:pw@rest.ecgrid.io")}, "user info"},
		{"query in URL", []ecgrid.Option{key, ecgrid.WithRESTURL("https://rest.ecgrid.io/?a=1")}, "query"},
		{"namespace not a URI", []ecgrid.Option{key, ecgrid.WithSOAPNamespace("ecgrid")}, "not an absolute URI"},
		{"nil HTTP client", []ecgrid.Option{key, ecgrid.WithHTTPClient(nil)}, "nil *http.Client"},
		{"negative timeout", []ecgrid.Option{key, ecgrid.WithTimeout(-time.Second)}, "negative timeout"},
		{"nil logger", []ecgrid.Option{key, ecgrid.WithLogger(nil)}, "nil *slog.Logger"},
		{"nil provider", []ecgrid.Option{ecgrid.WithCredentialsProvider(nil)}, "nil provider"},
		{"provider and key", []ecgrid.Option{key, ecgrid.WithCredentialsProvider(ecgrid.StaticProvider(ecgrid.Credentials{APIKey: "x"}))}, "one source of credentials"},
		{"login and key", []ecgrid.Option{key, ecgrid.WithLogin("alice", "pw-SECRET")}, "one source of credentials"},
		{"login with fallback", []ecgrid.Option{ecgrid.WithLogin("alice", "pw-SECRET"), ecgrid.WithSOAPFallback()}, "can't be combined with WithSOAPFallback"},
		{"empty login", []ecgrid.Option{ecgrid.WithLogin("", "pw-SECRET")}, "login is empty"},
		{"empty password", []ecgrid.Option{ecgrid.WithLogin("alice", "")}, "password is empty"},
		{"trailing ? in REST URL", []ecgrid.Option{key, ecgrid.WithRESTURL("http://127.0.0.1:8080/?")}, "query or fragment"},
		{"trailing # in SOAP URL", []ecgrid.Option{key, ecgrid.WithSOAPURL("http://127.0.0.1:8080/x#")}, "query or fragment"},
		{"fragment in REST URL", []ecgrid.Option{key, ecgrid.WithRESTURL("https://rest.ecgrid.io/#top")}, "query or fragment"},
		{"negative connection cap", []ecgrid.Option{key, ecgrid.WithMaxConnsPerHost(-1)}, "negative cap"},
		{"connection cap with own transport", []ecgrid.Option{key, ecgrid.WithMaxConnsPerHost(8), ecgrid.WithHTTPClient(&http.Client{Transport: &http.Transport{}})}, "can't be combined"},
		{"sender with newline", []ecgrid.Option{key, ecgrid.WithSender(ecgrid.Sender{Solution: "a\nb"})}, "not printable"},
		{"negative retries", []ecgrid.Option{key, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: -1})}, "negative"},
		{"too many retries", []ecgrid.Option{key, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 50})}, "more than 10"},
		{"user agent with newline", []ecgrid.Option{key, ecgrid.WithUserAgent("a\nb")}, "control character"},
		{"nil option", []ecgrid.Option{key, nil}, "nil Option"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			c, err := ecgrid.New(cs.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), cs.want)
			assert.Contains(t, err.Error(), "ecgrid: New: ")
			assertNoSecret(t, err.Error())
		})
	}
}

// TestNewAccepts checks configurations that must work, loopback http included.
func TestNewAccepts(t *testing.T) {
	key := ecgrid.WithAPIKey(testAPIKey)
	cases := []struct {
		name string
		opts []ecgrid.Option
	}{
		{"defaults", []ecgrid.Option{key}},
		{"http localhost", []ecgrid.Option{key, ecgrid.WithRESTURL("http://localhost:8080")}},
		{"http 127.0.0.2", []ecgrid.Option{key, ecgrid.WithRESTURL("http://127.0.0.2:8080")}},
		{"http ::1", []ecgrid.Option{key, ecgrid.WithSOAPURL("http://[::1]:8080/x")}},
		{"http remote when insecure", []ecgrid.Option{key, ecgrid.WithInsecureHTTP(), ecgrid.WithRESTURL("http://rest.internal")}},
		{"SOAP with session only", []ecgrid.Option{ecgrid.WithSessionID(testSessionID), ecgrid.WithTransport(ecgrid.SOAP)}},
		{"REST with bearer only", []ecgrid.Option{ecgrid.WithBearerToken("tok")}},
		{"fallback with key", []ecgrid.Option{key, ecgrid.WithSOAPFallback()}},
		{"fallback with bearer and session", []ecgrid.Option{ecgrid.WithBearerToken("tok"), ecgrid.WithSessionID("s"), ecgrid.WithSOAPFallback()}},
		{"provider", []ecgrid.Option{ecgrid.WithCredentialsProvider(ecgrid.StaticProvider(ecgrid.Credentials{APIKey: "x"}))}},
		{"SOAP 1.2 old namespace", []ecgrid.Option{key, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAP12), ecgrid.WithSOAPNamespace("http://www.ecgridos.net/")}},
		{"own http client", []ecgrid.Option{key, ecgrid.WithHTTPClient(&http.Client{Timeout: time.Second})}},
		{"connection cap", []ecgrid.Option{key, ecgrid.WithMaxConnsPerHost(8)}},
		{"login on REST", []ecgrid.Option{ecgrid.WithLogin("alice", "pw")}},
		{"login on SOAP", []ecgrid.Option{ecgrid.WithLogin("alice", "pw"), ecgrid.WithTransport(ecgrid.SOAP)}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			c, err := ecgrid.New(cs.opts...)
			require.NoError(t, err)
			require.NotNil(t, c.Users())
		})
	}
}

// TestWithHTTPClientNotModified checks the caller's client is copied.
func TestWithHTTPClientNotModified(t *testing.T) {
	hc := &http.Client{Timeout: 3 * time.Second}
	_, err := ecgrid.New(ecgrid.WithAPIKey(testAPIKey), ecgrid.WithHTTPClient(hc))
	require.NoError(t, err)
	assert.Nil(t, hc.CheckRedirect)
	assert.Nil(t, hc.Jar)
	assert.Nil(t, hc.Transport)
	assert.Equal(t, 3*time.Second, hc.Timeout)
}

// TestFormattingHidesSecrets checks every verb on our types.
func TestFormattingHidesSecrets(t *testing.T) {
	creds := ecgrid.Credentials{APIKey: testAPIKey, SessionID: testSessionID, BearerToken: "tok-SECRET"}
	c, err := ecgrid.New(ecgrid.WithAPIKey(testAPIKey), ecgrid.WithSessionID(testSessionID), ecgrid.WithSOAPFallback())
	require.NoError(t, err)
	values := []any{creds, &creds, c, c.Users(), ecgrid.StaticProvider(creds), struct{ C ecgrid.Credentials }{creds}}
	for i, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T"} {
			out := fmt.Sprintf(verb, v)
			assertNoSecret(t, out)
			for _, s := range []string{"tok-SECRET"} {
				assert.NotContains(t, out, s, "value %d verb %s", i, verb)
			}
		}
	}
	assert.Contains(t, fmt.Sprint(creds), "APIKey:[redacted]")
	assert.Contains(t, fmt.Sprint(c), "https://rest.ecgrid.io")
}
