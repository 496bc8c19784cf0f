package rest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecgridkit/ecgrid/rest"
)

// Credentials of the tests. The password holds the characters JSON
// escapes.
const (
	apiKey   = "AK-test-0123456789abcdef"
	bearer   = "eyJhbGciOiJIUzI1NiJ9.test-bearer-token"
	password = `p&ss<w>"rd'\x`
	login    = "jdoe@example.com"
	newKey   = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	newJWT   = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.new-token"
)

var secrets = []string{apiKey, bearer, password}

// request is what the test server saw of one request.
type request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
	ContentLength          int64
	TransferEncoding       []string
}

// server is an httptest server that records every request it reads and
// hands it to a handler.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body), r.ContentLength, r.TransferEncoding})
		s.mu.Unlock()
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func (s *server) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.reqs...)
}

// reply returns a handler that answers with status, body and header pairs.
func reply(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// httpClient returns a client with its own transport, whose idle
// connections are closed when the test ends.
func httpClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func newClient(t *testing.T, base string) *rest.Client {
	t.Helper()
	c, err := rest.New(rest.Config{BaseURL: base, HTTPClient: httpClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func success(data string) string {
	return `{"success":true,"data":` + data + `,"errorCode":"","message":""}`
}

const (
	tokenData = `{"token":"` + newJWT + `","expiresAt":"2030-01-02T03:04:05Z","userId":42}`
	userData  = `{"userId":42,"login":"jdoe","email":"j@example.com","firstName":"Jane","lastName":"Doe","networkId":7,"mailboxId":9,"authLevel":"NetworkAdmin","status":"Active","created":"2020-05-06T07:08:09Z"}`
)

// result is what any of the client's methods returned.
type result struct {
	key   string
	token rest.Token
	user  rest.User
	err   error
}

type call func(context.Context, *rest.Client) result

func generate(auth rest.Auth, id int) call {
	return func(ctx context.Context, c *rest.Client) result {
		k, err := c.GenerateAPIKey(ctx, auth, id)
		return result{key: k, err: err}
	}
}

func get(auth rest.Auth, id int) call {
	return func(ctx context.Context, c *rest.Client) result {
		k, err := c.GetAPIKey(ctx, auth, id)
		return result{key: k, err: err}
	}
}

func doLogin(l, p string) call {
	return func(ctx context.Context, c *rest.Client) result {
		tok, err := c.Login(ctx, l, p)
		return result{token: tok, err: err}
	}
}

func refresh(tok string) call {
	return func(ctx context.Context, c *rest.Client) result {
		t, err := c.Refresh(ctx, tok)
		return result{token: t, err: err}
	}
}

func logout(auth rest.Auth) call {
	return func(ctx context.Context, c *rest.Client) result {
		return result{err: c.Logout(ctx, auth)}
	}
}

func me(auth rest.Auth) call {
	return func(ctx context.Context, c *rest.Client) result {
		u, err := c.Me(ctx, auth)
		return result{user: u, err: err}
	}
}

var (
	byKey    = rest.Auth{APIKey: apiKey}
	byBearer = rest.Auth{BearerToken: bearer}
)

// asError returns err as a *rest.Error, failing the test otherwise, and
// checks that its text holds no secret.
func asError(t *testing.T, err error) *rest.Error {
	t.Helper()
	var e *rest.Error
	if !errors.As(err, &e) {
		t.Fatalf("the error is %T, not a *rest.Error: %v", err, err)
	}
	for _, s := range secrets {
		for _, text := range []string{err.Error(), e.Message, e.ErrorCode, e.Problem} {
			if strings.Contains(text, s) {
				t.Fatalf("the error holds the secret %q: %q", s, text)
			}
		}
	}
	return e
}

func TestRequests(t *testing.T) {
	const post, getm = http.MethodPost, http.MethodGet
	for name, tc := range map[string]struct {
		call   call
		data   string // the success answer's data
		method string
		path   string
		cred   string // "X-API-Key", "Authorization" or "" (none)
		value  string
		body   any // the JSON body, decoded into a map; nil for none
	}{
		"GenerateAPIKey with an API key": {generate(byKey, 42), `"` + newKey + `"`, post, "/v2/users/key-generate/42", "X-API-Key", apiKey, nil},
		"GenerateAPIKey with a bearer":   {generate(byBearer, 2147483647), `"` + newKey + `"`, post, "/v2/users/key-generate/2147483647", "Authorization", "Bearer " + bearer, nil},
		"GenerateAPIKey with both":       {generate(rest.Auth{APIKey: apiKey, BearerToken: bearer}, 1), `"` + newKey + `"`, post, "/v2/users/key-generate/1", "X-API-Key", apiKey, nil},
		"GetAPIKey with an API key":      {get(byKey, 42), `"` + newKey + `"`, getm, "/v2/users/key/42", "X-API-Key", apiKey, nil},
		"GetAPIKey with a bearer":        {get(byBearer, 7), `"` + newKey + `"`, getm, "/v2/users/key/7", "Authorization", "Bearer " + bearer, nil},
		"Login":                          {doLogin(login, password), tokenData, post, "/v2/auth/login", "", "", map[string]any{"login": login, "password": password}},
		"Refresh":                        {refresh(bearer), tokenData, post, "/v2/auth/refresh", "", "", map[string]any{"token": bearer}},
		"Logout with a bearer":           {logout(byBearer), "null", post, "/v2/auth/logout", "Authorization", "Bearer " + bearer, nil},
		"Logout with an API key":         {logout(byKey), "null", post, "/v2/auth/logout", "X-API-Key", apiKey, nil},
		"Me with an API key":             {me(byKey), userData, getm, "/v2/users/me", "X-API-Key", apiKey, nil},
		"Me with a bearer":               {me(byBearer), userData, getm, "/v2/users/me", "Authorization", "Bearer " + bearer, nil},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, reply(200, success(tc.data), "Content-Type", "application/json; charset=utf-8"))
			// The base URL's path prefixes every route.
			c := newClient(t, s.URL+"/base/")
			if r := tc.call(context.Background(), c); r.err != nil {
				t.Fatal(r.err)
			}
			reqs := s.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.Path != "/base"+tc.path || r.RawQuery != "" {
				t.Errorf("request %s %s?%s, want %s /base%s", r.Method, r.Path, r.RawQuery, tc.method, tc.path)
			}
			for _, h := range []string{"X-API-Key", "Authorization"} {
				got := r.Header.Values(h)
				switch {
				case h == tc.cred && (len(got) != 1 || got[0] != tc.value):
					t.Errorf("%s: %q, want exactly %q", h, got, tc.value)
				case h != tc.cred && len(got) != 0:
					t.Errorf("%s sent: %q", h, got)
				}
			}
			if got := r.Header.Values("User-Agent"); len(got) != 1 || got[0] != "ecgrid-go-rest" {
				t.Errorf("User-Agent %q", got)
			}
			if got := r.Header.Values("Accept"); len(got) != 1 || got[0] != "application/json" {
				t.Errorf("Accept %q", got)
			}
			if got := r.Header.Values("Cookie"); len(got) != 0 {
				t.Errorf("Cookie sent: %q", got)
			}
			if len(r.TransferEncoding) != 0 {
				t.Errorf("Transfer-Encoding %q", r.TransferEncoding)
			}
			switch {
			case tc.body != nil:
				var got map[string]any
				if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
					t.Fatalf("the body is not JSON: %v: %s", err, r.Body)
				}
				if !equalJSON(got, tc.body) {
					t.Errorf("body %s, want %v", r.Body, tc.body)
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				if r.ContentLength != int64(len(r.Body)) {
					t.Errorf("Content-Length %d for a body of %d bytes", r.ContentLength, len(r.Body))
				}
			case tc.method == http.MethodPost:
				if ct := r.Header.Values("Content-Type"); len(ct) != 0 {
					t.Errorf("Content-Type %q without a body", ct)
				}
				if r.Body != "" || r.ContentLength != 0 || r.Header.Get("Content-Length") != "0" {
					t.Errorf("a POST without body: body %q, Content-Length %d (header %q), want an explicit 0",
						r.Body, r.ContentLength, r.Header.Values("Content-Length"))
				}
			default:
				if r.Body != "" || r.ContentLength > 0 {
					t.Errorf("a GET with a body: %q (Content-Length %d)", r.Body, r.ContentLength)
				}
			}
		})
	}
}

func equalJSON(a map[string]any, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestUserAgent(t *testing.T) {
	s := newServer(t, reply(200, success(`"`+newKey+`"`)))
	c, err := rest.New(rest.Config{BaseURL: s.URL, HTTPClient: httpClient(t), UserAgent: "rotator/1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAPIKey(context.Background(), byKey, 42); err != nil {
		t.Fatal(err)
	}
	if got := s.requests()[0].Header.Values("User-Agent"); len(got) != 1 || got[0] != "rotator/1.2" {
		t.Errorf("User-Agent %q", got)
	}
}

// wantError lists the facts an *Error must have; Problem is a substring.
type wantError struct {
	status     int
	envelope   bool
	code, msg  string
	problem    string
	retryAfter time.Duration
}

func TestAnswers(t *testing.T) {
	const js = "application/json; charset=utf-8"
	env := func(code, msg string) string {
		b, _ := json.Marshal(map[string]any{"success": false, "errorCode": code, "message": msg, "data": nil})
		return string(b)
	}
	for name, tc := range map[string]struct {
		call    call
		handler http.HandlerFunc
		want    result     // on success
		err     *wantError // nil: success
	}{
		"GenerateAPIKey":           {call: generate(byKey, 42), handler: reply(200, success(`"`+newKey+`"`), "Content-Type", js), want: result{key: newKey}},
		"GenerateAPIKey 201":       {call: generate(byKey, 42), handler: reply(201, success(`"`+newKey+`"`)), want: result{key: newKey}},
		"GetAPIKey":                {call: get(byKey, 42), handler: reply(200, success(`"`+newKey+`"`)), want: result{key: newKey}},
		"GetAPIKey with a BOM":     {call: get(byKey, 42), handler: reply(200, "\xef\xbb\xbf"+success(`"`+newKey+`"`), "Content-Type", js), want: result{key: newKey}},
		"Login":                    {call: doLogin(login, password), handler: reply(200, success(tokenData)), want: result{token: rest.Token{Token: newJWT, ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), UserID: 42}}},
		"Login without expiry":     {call: doLogin(login, password), handler: reply(200, success(`{"token":"`+newJWT+`","userId":42}`)), want: result{token: rest.Token{Token: newJWT, UserID: 42}}},
		"Refresh":                  {call: refresh(bearer), handler: reply(200, success(tokenData)), want: result{token: rest.Token{Token: newJWT, ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), UserID: 42}}},
		"Logout":                   {call: logout(byBearer), handler: reply(200, success("null"))},
		"Logout without data":      {call: logout(byBearer), handler: reply(200, `{"success":true}`)},
		"Me":                       {call: me(byKey), handler: reply(200, success(userData)), want: result{user: rest.User{UserID: 42, Login: "jdoe", Email: "j@example.com", FirstName: "Jane", LastName: "Doe", NetworkID: 7, MailboxID: 9, AuthLevel: "NetworkAdmin", Status: "Active", Created: time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)}}},
		"Me escapes what it shows": {call: me(byKey), handler: reply(200, success(`{"userId":42,"login":"ev\u202eil\u0007"}`)), want: result{user: rest.User{UserID: 42, Login: `ev\u202eil\u0007`}}},

		"401 envelope, echoing the key": {call: generate(byKey, 42), handler: reply(401, env("InvalidAPIKey", "API key "+apiKey+" is not valid"), "Content-Type", js),
			err: &wantError{status: 401, envelope: true, code: "InvalidAPIKey", msg: "API key [redacted] is not valid"}},
		"success false with 200": {call: generate(byKey, 42), handler: reply(200, env("AccessDenied", "no")),
			err: &wantError{status: 200, envelope: true, code: "AccessDenied", msg: "no"}},
		"404 envelope": {call: get(byBearer, 9), handler: reply(404, env("ObjectNotFound", "User 9 not found")),
			err: &wantError{status: 404, envelope: true, code: "ObjectNotFound", msg: "User 9 not found"}},
		"401 on Login, echoing the password": {call: doLogin(login, password), handler: reply(401, env("InvalidLogin", "bad password "+password)),
			err: &wantError{status: 401, envelope: true, code: "InvalidLogin", msg: "bad password [redacted]"}},
		"401 on Refresh, echoing the token": {call: refresh(bearer), handler: reply(401, env("InvalidSession", "token "+bearer+" expired")),
			err: &wantError{status: 401, envelope: true, code: "InvalidSession", msg: "token [redacted] expired"}},
		"401 on Me": {call: me(byBearer), handler: reply(401, env("InvalidSession", "expired")),
			err: &wantError{status: 401, envelope: true, code: "InvalidSession", msg: "expired"}},
		"403 on Logout": {call: logout(byKey), handler: reply(403, env("AccessDenied", "no")),
			err: &wantError{status: 403, envelope: true, code: "AccessDenied", msg: "no"}},
		"control characters escaped": {call: generate(byKey, 42), handler: reply(400, env("Invalid\nParameter", "bad\x1b[31m \u202eid\u2028!")),
			err: &wantError{status: 400, envelope: true, code: `Invalid\nParameter`, msg: `bad\u001b[31m \u202eid\u2028!`}},

		"429 Retry-After seconds": {call: generate(byKey, 42), handler: reply(429, env("RateLimitExceeded", "slow down"), "Retry-After", "7"),
			err: &wantError{status: 429, envelope: true, code: "RateLimitExceeded", msg: "slow down", retryAfter: 7 * time.Second}},
		"429 Retry-After too large to parse": {call: generate(byKey, 42), handler: reply(429, env("RateLimitExceeded", "x"), "Retry-After", "99999999999999999999999999"),
			err: &wantError{status: 429, envelope: true, code: "RateLimitExceeded", msg: "x", retryAfter: 24 * time.Hour}},
		"429 Retry-After beyond the cap": {call: generate(byKey, 42), handler: reply(429, env("RateLimitExceeded", "x"), "Retry-After", "604800"),
			err: &wantError{status: 429, envelope: true, code: "RateLimitExceeded", msg: "x", retryAfter: 24 * time.Hour}},
		"429 Retry-After in the past": {call: generate(byKey, 42), handler: reply(429, env("RateLimitExceeded", "x"), "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
			err: &wantError{status: 429, envelope: true, code: "RateLimitExceeded", msg: "x"}},
		"503 Retry-After, not an envelope": {call: get(byKey, 42), handler: reply(503, "Service Unavailable", "Retry-After", "120", "Content-Type", "text/plain"),
			err: &wantError{status: 503, problem: "not an ECGrid JSON envelope (text/plain)", retryAfter: 2 * time.Minute}},
		"503 Retry-After too large": {call: get(byKey, 42), handler: reply(503, "", "Retry-After", "18446744073709551616"),
			err: &wantError{status: 503, problem: "not an ECGrid JSON envelope", retryAfter: 24 * time.Hour}},
		"500 Retry-After ignored": {call: get(byKey, 42), handler: reply(500, env("InternalError", "boom"), "Retry-After", "5"),
			err: &wantError{status: 500, envelope: true, code: "InternalError", msg: "boom"}},

		"502 HTML": {call: generate(byKey, 42), handler: reply(502, "<html><h1>502 Bad Gateway</h1></html>", "Content-Type", "text/html"),
			err: &wantError{status: 502, problem: "not an ECGrid JSON envelope (text/html)"}},
		"200 HTML": {call: generate(byKey, 42), handler: reply(200, "<html>Welcome</html>", "Content-Type", "text/html"),
			err: &wantError{status: 200, problem: "not an ECGrid JSON envelope"}},
		"200 empty": {call: generate(byKey, 42), handler: reply(200, ""),
			err: &wantError{status: 200, problem: "not an ECGrid JSON envelope"}},
		"200 truncated": {call: generate(byKey, 42), handler: reply(200, success(`"` + newKey + `"`)[:40]),
			err: &wantError{status: 200, problem: "not an ECGrid JSON envelope"}},
		"200 without a key": {call: generate(byKey, 42), handler: reply(200, success(`""`)),
			err: &wantError{status: 200, problem: "holds no key"}},
		"200 with a key that is not printable": {call: generate(byKey, 42), handler: reply(200, success(`"`+newKey+`\u0000"`)),
			err: &wantError{status: 200, problem: "not printable"}},
		"success with 401": {call: generate(byKey, 42), handler: reply(401, success(`"`+newKey+`"`)),
			err: &wantError{status: 401, problem: "reports success with HTTP 401"}},
		"Login without a token": {call: doLogin(login, password), handler: reply(200, success(`{"userId":42}`)),
			err: &wantError{status: 200, problem: "holds no token"}},
		"Me without a user": {call: me(byKey), handler: reply(200, success(`{"login":"x"}`)),
			err: &wantError{status: 200, problem: "holds no user"}},
		"secret in the Content-Type": {call: generate(byKey, 42), handler: reply(401, "no", "Content-Type", "text/plain; k="+apiKey),
			err: &wantError{status: 401, problem: "(text/plain; k=[redacted])"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, tc.handler)
			r := tc.call(context.Background(), newClient(t, s.URL))
			if tc.err == nil {
				if r.err != nil {
					t.Fatal(r.err)
				}
				if r.key != tc.want.key || r.token != tc.want.token || r.user != tc.want.user {
					t.Fatalf("got %q %v %+v\nwant %q %v %+v", r.key, r.token, r.user, tc.want.key, tc.want.token, tc.want.user)
				}
				return
			}
			if r.key != "" || r.token != (rest.Token{}) || r.user != (rest.User{}) {
				t.Errorf("a result with the error: %q %v %+v", r.key, r.token, r.user)
			}
			e := asError(t, r.err)
			w := tc.err
			if e.StatusCode != w.status || e.Envelope != w.envelope || e.ErrorCode != w.code || e.Message != w.msg ||
				e.RetryAfter != w.retryAfter || e.NotSent || !strings.Contains(e.Problem, w.problem) || (w.problem == "") != (e.Problem == "") {
				t.Fatalf("got %+v\nwant %+v", *e, *w)
			}
			if !strings.HasPrefix(e.Error(), "rest: "+e.Op+": HTTP "+strconv.Itoa(w.status)) {
				t.Errorf("Error() = %q", e.Error())
			}
		})
	}
}

func TestOversizedBody(t *testing.T) {
	big := `{"success":true,"data":"` + newKey + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	s := newServer(t, reply(200, big))
	_, err := newClient(t, s.URL).GenerateAPIKey(context.Background(), byKey, 42)
	e := asError(t, err)
	if e.StatusCode != 200 || !strings.Contains(e.Problem, "could not be read") || e.Err == nil || !strings.Contains(e.Err.Error(), "larger than") {
		t.Fatalf("%+v", *e)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, cross := range []bool{false, true} {
			t.Run(strconv.Itoa(status)+"/cross-host="+strconv.FormatBool(cross), func(t *testing.T) {
				target := newServer(t, reply(200, success(`"`+newKey+`"`)))
				loc := "/v2/users/key-generate/43"
				if cross {
					loc = target.URL + loc
				}
				s := newServer(t, reply(status, "", "Location", loc))
				c := newClient(t, s.URL)
				for name, call := range map[string]call{
					"GenerateAPIKey": generate(byKey, 42), "GetAPIKey": get(byBearer, 42),
					"Login": doLogin(login, password), "Logout": logout(byKey), "Me": me(byKey), "Refresh": refresh(bearer),
				} {
					r := call(context.Background(), c)
					e := asError(t, r.err)
					if e.StatusCode != status || !strings.Contains(e.Problem, "redirect") || r.key != "" {
						t.Fatalf("%s: %+v", name, *e)
					}
					if cross && !strings.Contains(e.Problem, "another host (127.0.0.1)") {
						t.Errorf("%s: the problem does not name the other host: %q", name, e.Problem)
					}
				}
				if n := len(target.requests()); n != 0 {
					t.Fatalf("the redirect target received %d requests", n)
				}
				if n := len(s.requests()); n != 6 {
					t.Fatalf("the server received %d requests, want 6", n)
				}
			})
		}
	}
}

// TestRedirectToHostNamedLikeTheKey: the redirect message names the other
// host, which may be built from the credential sent; the error must not
// hold it.
func TestRedirectToHostNamedLikeTheKey(t *testing.T) {
	s := newServer(t, reply(307, "", "Location", "https://"+apiKey+".example.net/v2/users/key-generate/42"))
	_, err := newClient(t, s.URL).GenerateAPIKey(context.Background(), byKey, 42)
	var e *rest.Error
	if !errors.As(err, &e) || e.StatusCode != 307 {
		t.Fatalf("%v", err)
	}
	if strings.Contains(err.Error(), apiKey) || strings.Contains(e.Problem, apiKey) {
		t.Fatalf("the error holds the API key: %q", err.Error())
	}
}

// hijack returns a handler that takes over the connection and hands it to
// f; the connection is closed when the test ends, if f left it open.
func hijack(t *testing.T, f func(net.Conn, *bufio.ReadWriter)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		t.Cleanup(func() { conn.Close() })
		f(conn, rw)
	}
}

// TestSwitchingProtocols: a 101 answer's body is the connection itself; a
// server that keeps it open must not keep the call waiting.
func TestSwitchingProtocols(t *testing.T) {
	s := newServer(t, hijack(t, func(_ net.Conn, rw *bufio.ReadWriter) {
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := newClient(t, s.URL).GenerateAPIKey(ctx, byKey, 42)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the call took %v", d)
	}
	e := asError(t, err)
	if e.StatusCode != 101 || e.Problem == "" || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%+v", *e)
	}
}

// TestDroppedAfterRequest: a server that reads the request and closes the
// connection without answering may have processed it.
func TestDroppedAfterRequest(t *testing.T) {
	for name, call := range map[string]call{
		"GenerateAPIKey": generate(byKey, 42), "GetAPIKey": get(byKey, 42), "Login": doLogin(login, password),
		"Refresh": refresh(bearer), "Logout": logout(byBearer), "Me": me(byKey),
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, hijack(t, func(c net.Conn, _ *bufio.ReadWriter) { c.Close() }))
			r := call(context.Background(), newClient(t, s.URL))
			e := asError(t, r.err)
			if e.NotSent || e.StatusCode != 0 || e.Err == nil {
				t.Fatalf("%+v", *e)
			}
			if !strings.Contains(e.Error(), "may have reached the service") {
				t.Errorf("Error() = %q", e.Error())
			}
			if n := len(s.requests()); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	_, err = newClient(t, base).GenerateAPIKey(context.Background(), byKey, 42)
	e := asError(t, err)
	if !e.NotSent || e.StatusCode != 0 || e.Err == nil || errors.Is(err, rest.ErrInvalidInput) {
		t.Fatalf("%+v", *e)
	}
	if !strings.HasSuffix(e.Error(), "(not sent)") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestCancelledContext(t *testing.T) {
	s := newServer(t, reply(200, success(`"`+newKey+`"`)))
	c := newClient(t, s.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, call := range map[string]call{
		"GenerateAPIKey": generate(byKey, 42), "GetAPIKey": get(byKey, 42), "Login": doLogin(login, password),
		"Refresh": refresh(bearer), "Logout": logout(byBearer), "Me": me(byKey),
	} {
		r := call(ctx, c)
		e := asError(t, r.err)
		if !e.NotSent || e.StatusCode != 0 || !errors.Is(r.err, context.Canceled) {
			t.Errorf("%s: %+v", name, *e)
		}
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("the server received %d requests", n)
	}
}

func TestInvalidInput(t *testing.T) {
	s := newServer(t, reply(200, success(`"`+newKey+`"`)))
	c := newClient(t, s.URL)
	for name, call := range map[string]call{
		"user ID 0":                       generate(byKey, 0),
		"user ID -1":                      get(byKey, -1),
		"user ID above int32":             generate(byKey, 1<<31),
		"no credential":                   generate(rest.Auth{}, 42),
		"API key with a newline":          generate(rest.Auth{APIKey: apiKey + "\r\nX-Evil: 1"}, 42),
		"API key with a space around":     get(rest.Auth{APIKey: " " + apiKey}, 42),
		"API key with a bidi override":    get(rest.Auth{APIKey: apiKey + "\u202e"}, 42),
		"API key not UTF-8":               get(rest.Auth{APIKey: apiKey + "\xff"}, 42),
		"API key too long":                get(rest.Auth{APIKey: strings.Repeat("k", 5000)}, 42),
		"bearer with a control character": me(rest.Auth{BearerToken: bearer + "\x00"}),
		"Logout without credential":       logout(rest.Auth{}),
		"Me without credential":           me(rest.Auth{}),
		"Login without login":             doLogin("", password),
		"Login with a newline":            doLogin("a\nb", password),
		"Login without password":          doLogin(login, ""),
		"Login password with a tab":       doLogin(login, password+"\t"),
		"Refresh without token":           refresh(""),
		"Refresh token with a newline":    refresh(bearer + "\n"),
	} {
		r := call(context.Background(), c)
		e := asError(t, r.err)
		if !errors.Is(r.err, rest.ErrInvalidInput) || !e.NotSent || e.StatusCode != 0 || e.Problem == "" {
			t.Errorf("%s: %v (%+v)", name, r.err, *e)
		}
		if r.key != "" || r.token != (rest.Token{}) || r.user != (rest.User{}) {
			t.Errorf("%s: a result with the error", name)
		}
		for _, bad := range []string{"\r", "\n", "\x00", "\u202e", "\xff", "X-Evil", "kkkkkkkk"} {
			if strings.Contains(r.err.Error(), bad) {
				t.Errorf("%s: the error shows the input: %q", name, r.err.Error())
			}
		}
	}
	if n := len(s.requests()); n != 0 {
		t.Fatalf("the server received %d requests", n)
	}
}

// TestCookies: the client neither sends nor stores cookies, and leaves the
// caller's *http.Client as it was.
func TestCookies(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "from-server", Path: "/"})
		_, _ = io.WriteString(w, success(`"`+newKey+`"`))
	})
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "caller", Value: "in-jar", Path: "/"}})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Jar: jar}
	c, err := rest.New(rest.Config{BaseURL: s.URL, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.GenerateAPIKey(context.Background(), byKey, 42); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range s.requests() {
		if got := r.Header.Values("Cookie"); len(got) != 0 {
			t.Errorf("request %d sent cookies %q", i, got)
		}
	}
	if got := jar.Cookies(u); len(got) != 1 || got[0].Name != "caller" {
		t.Errorf("the caller's jar holds %v", got)
	}
	if hc.Jar != jar || hc.CheckRedirect != nil || hc.Transport != tr {
		t.Errorf("the caller's *http.Client was modified: %+v", hc)
	}
}

func TestNewRefusesBaseURL(t *testing.T) {
	for _, base := range []string{"", "rest.ecgrid.io", "ftp://rest.ecgrid.io", "https://", "https://user:pw@rest.ecgrid.io",
		"https://rest.ecgrid.io/?x=1", "https://rest.ecgrid.io/#f", "://bad", "/v2"} {
		c, err := rest.New(rest.Config{BaseURL: base})
		if err == nil || c != nil {
			t.Errorf("New(%q) = %v, %v", base, c, err)
		}
		if strings.Contains(base, "pw@") && err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("New(%q): the error shows the password: %v", base, err)
		}
	}
}

// TestRefusedTokenNotReturned: when Login or Refresh refuses the token of
// a success answer, it returns the *Error and no Token.
func TestRefusedTokenNotReturned(t *testing.T) {
	for name, data := range map[string]string{
		"a leading space":     `{"token":" ` + newJWT + `","userId":42}`,
		"a bell":              `{"token":"` + newJWT + `\u0007","userId":42}`,
		"userId not a number": `{"token":"` + newJWT + `","userId":"42"}`,
	} {
		for op, call := range map[string]call{"Login": doLogin(login, password), "Refresh": refresh(bearer)} {
			t.Run(op+"/"+name, func(t *testing.T) {
				s := newServer(t, reply(200, success(data)))
				r := call(context.Background(), newClient(t, s.URL))
				e := asError(t, r.err)
				if e.StatusCode != 200 || e.Problem == "" {
					t.Fatalf("%+v", *e)
				}
				if r.token != (rest.Token{}) {
					t.Fatalf("%s returned %v (token %q) with %v", op, r.token, r.token.Token, r.err)
				}
			})
		}
	}
}

// TestLoginRefusesUnsendableLogin: a login name that JSON can't carry
// unchanged (bytes that are not UTF-8) must be refused before sending, not
// sent with U+FFFD in their place: that is another login.
func TestLoginRefusesUnsendableLogin(t *testing.T) {
	s := newServer(t, reply(200, success(tokenData)))
	_, err := newClient(t, s.URL).Login(context.Background(), "jd\xffoe", password)
	if s.count() != 0 {
		t.Fatalf("sent (%v) the body %s", err, s.requests()[0].Body)
	}
	if !errors.Is(err, rest.ErrInvalidInput) {
		t.Fatalf("%v", err)
	}
}
