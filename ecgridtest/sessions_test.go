package ecgridtest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// Users with logins, seeded by setupLogin.
const (
	aliceID  = 20 // NetworkAdmin
	bobID    = 21 // MailboxUser
	alicePW  = "alice-Pa55word:with,punct"
	bobPW    = "bob-secret-password"
	nopassID = 22 // a login without a password cannot log in
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// setupLogin is setup plus users who can log in.
func setupLogin(t *testing.T, opts ...ecgridtest.Option) *ecgridtest.Server {
	t.Helper()
	return setup(t, append([]ecgridtest.Option{
		ecgridtest.WithUser(ecgridtest.User{ID: aliceID, Level: ecgridtest.AuthLevelNetworkAdmin, Login: "alice", Password: alicePW,
			Email: "alice@example.com", FirstName: "Alice", LastName: "Liddell", NetworkID: 100, MailboxID: 200}),
		ecgridtest.WithUser(ecgridtest.User{ID: bobID, Login: "Bob", Password: bobPW, NetworkID: 100, MailboxID: 201}),
		ecgridtest.WithUser(ecgridtest.User{ID: nopassID, Login: "nopass"}),
	}, opts...)...)
}

// jsonResult is a REST answer whose data may be anything.
type jsonResult struct {
	Status int
	Header http.Header
	Body   []byte
	Env    struct {
		Success   bool            `json:"success"`
		Data      json.RawMessage `json:"data"`
		ErrorCode string          `json:"errorCode"`
		Message   string          `json:"message"`
	}
}

// restJSON sends a REST request with an optional body.
func restJSON(t *testing.T, c *http.Client, method, url string, hdr map[string]string, body string) jsonResult {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header[k] = []string{v}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	r := jsonResult{Status: resp.StatusCode, Header: resp.Header}
	r.Body, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&r.Env), "%s", r.Body)
		assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	}
	return r
}

type loginAnswer struct {
	Token     string  `json:"token"`
	ExpiresAt *string `json:"expiresAt"`
	UserID    int     `json:"userId"`
}

func loginBody(login, password string) string {
	b, _ := json.Marshal(map[string]string{"login": login, "password": password})
	return string(b)
}

// restLogin logs in over REST and returns the token.
func restLogin(t *testing.T, c *http.Client, s *ecgridtest.Server, login, password string) loginAnswer {
	t.Helper()
	r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/login", nil, loginBody(login, password))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var a loginAnswer
	require.NoError(t, json.Unmarshal(r.Env.Data, &a))
	return a
}

// soapLogin logs in over SOAP and returns the session ID.
func soapLogin(t *testing.T, c *http.Client, s *ecgridtest.Server, version, user, password string) string {
	t.Helper()
	r := soapDo(t, c, s.SOAPURL, soapReq{Version: version, Op: "Login", Body: loginEnvelope(version, user, password, true)})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	return r.Fields["LoginResult"]
}

// loginEnvelope is a SOAP Login call, with all seven arguments or only two.
func loginEnvelope(version, user, password string, full bool) string {
	env := map[string]string{"1.1": env11, "1.2": env12}[version]
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="` + env + `"><soap:Body><Login xmlns="https://os.ecgrid.io/">`)
	b.WriteString(`<UserName>` + escape(user) + `</UserName><Password>` + escape(password) + `</Password>`)
	if full {
		b.WriteString(`<SenderSolution>tests</SenderSolution><SenderVersion>1.0</SenderVersion><SenderCompanyName>Example</SenderCompanyName>` +
			`<SenderContact>Alice</SenderContact><SenderContactEmail>alice@example.com</SenderContactEmail>`)
	}
	b.WriteString(`</Login></soap:Body></soap:Envelope>`)
	return b.String()
}

func escape(s string) string {
	var b strings.Builder
	_ = xmlEscape(&b, s)
	return b.String()
}

// sessionCall is a SOAP call of Logout or WhoAmI.
func sessionCall(version, op, sessionID string) soapReq {
	env := map[string]string{"1.1": env11, "1.2": env12}[version]
	return soapReq{Version: version, Op: op, Body: `<soap:Envelope xmlns:soap="` + env + `"><soap:Body><` + op +
		` xmlns="https://os.ecgrid.io/"><SessionID>` + escape(sessionID) + `</SessionID></` + op + `></soap:Body></soap:Envelope>`}
}

func TestREST_Login(t *testing.T) {
	clock := newClock()
	s := setupLogin(t, ecgridtest.WithClock(clock.Now), ecgridtest.WithSessionTTL(15*time.Minute))
	c := client(t, 0)
	tests := map[string]struct {
		body   string
		status int
		code   string
		user   int
	}{
		"good":                     {loginBody("alice", alicePW), 200, "", aliceID},
		"login in another case":    {loginBody("ALICE", alicePW), 200, "", aliceID},
		"other user":               {loginBody("bob", bobPW), 200, "", bobID},
		"unknown members ignored":  {`{"login":"bob","password":"` + bobPW + `","remember":true}`, 200, "", bobID},
		"wrong password":           {loginBody("alice", bobPW), 401, "InvalidSession", 0},
		"password in another case": {loginBody("bob", strings.ToUpper(bobPW)), 401, "InvalidSession", 0},
		"unknown login":            {loginBody("carol", alicePW), 401, "InvalidSession", 0},
		"user without a password":  {loginBody("nopass", "x"), 401, "InvalidSession", 0},
		"empty password":           {loginBody("nopass", ""), 400, "InvalidParameter", 0},
		"empty login":              {loginBody("", alicePW), 400, "InvalidParameter", 0},
		"no password member":       {`{"login":"alice"}`, 400, "InvalidParameter", 0},
		"password not a string":    {`{"login":"alice","password":12}`, 400, "InvalidParameter", 0},
		"not an object":            {`["alice","x"]`, 400, "InvalidParameter", 0},
		"not JSON":                 {`login=alice`, 400, "InvalidParameter", 0},
		"no body":                  {``, 400, "InvalidParameter", 0},
		"null":                     {`null`, 400, "InvalidParameter", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/login", nil, tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			if tc.code != "" {
				assert.False(t, r.Env.Success)
				assert.Equal(t, tc.code, r.Env.ErrorCode)
				assert.NotEmpty(t, r.Env.Message)
				assert.Equal(t, "null", string(r.Env.Data))
				return
			}
			assert.True(t, r.Env.Success)
			var a loginAnswer
			dec := json.NewDecoder(bytes.NewReader(r.Env.Data))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&a))
			assert.Equal(t, tc.user, a.UserID)
			require.NotNil(t, a.ExpiresAt)
			assert.Equal(t, "2030-01-02T03:19:05.000Z", *a.ExpiresAt, "issue time + TTL, RFC 3339 UTC")
			_, err := time.Parse(time.RFC3339, *a.ExpiresAt)
			assert.NoError(t, err)
			assertJWTShape(t, a.Token)
		})
	}
	assert.Equal(t, 4, s.Logins())
	assert.Equal(t, 405, restJSON(t, c, http.MethodGet, s.URL+"/v2/auth/login", nil, "").Status)
}

// assertJWTShape checks a token is three base64url parts, the first two JSON.
func assertJWTShape(t *testing.T, tok string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3, tok)
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		require.NoError(t, err, "part %d", i)
		if i < 2 {
			assert.True(t, json.Valid(b), "part %d: %s", i, b)
		}
	}
}

// TestREST_TokenLifecycle follows a token: it authenticates every route, is
// refreshed away, and a logged-out or expired token gets 401 InvalidSession on
// every route.
func TestREST_TokenLifecycle(t *testing.T) {
	s := setupLogin(t)
	c := client(t, 0)
	routes := []struct{ method, path string }{
		{http.MethodGet, "/v2/users/me"},
		{http.MethodPost, "/v2/auth/session"},
		{http.MethodGet, "/v2/users/key/21"},
		{http.MethodPost, "/v2/users/key-generate/21"},
		{http.MethodPost, "/v2/auth/logout"},
	}
	deadEverywhere := func(t *testing.T, tok string) {
		t.Helper()
		for _, rt := range routes {
			r := restJSON(t, c, rt.method, s.URL+rt.path, bearer(tok), "")
			assert.Equal(t, 401, r.Status, rt.path)
			assert.Equal(t, "InvalidSession", r.Env.ErrorCode, rt.path)
		}
		r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/refresh", nil, `{"token":"`+tok+`"}`)
		assert.Equal(t, 401, r.Status)
		assert.Equal(t, "InvalidSession", r.Env.ErrorCode)
	}

	first := restLogin(t, c, s, "alice", alicePW)
	// The token works on every route but logout (kept for last).
	for _, rt := range routes[:4] {
		r := restJSON(t, c, rt.method, s.URL+rt.path, bearer(first.Token), "")
		assert.Equal(t, 200, r.Status, "%s %s", rt.path, r.Body)
	}
	// It is a SOAP SessionID too.
	wr := soapDo(t, c, s.SOAPURL, sessionCall("1.1", "WhoAmI", first.Token))
	assert.Equal(t, "20", wr.Fields["UserID"], "%s", wr.Body)
	// It is not an API key.
	assert.Equal(t, "InvalidAPIKey", restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", apiKey(first.Token), "").Env.ErrorCode)

	// Refresh: a new token; the old one stops working.
	r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/refresh", nil, `{"token":"`+first.Token+`"}`)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var second loginAnswer
	require.NoError(t, json.Unmarshal(r.Env.Data, &second))
	assert.NotEqual(t, first.Token, second.Token)
	assert.Equal(t, aliceID, second.UserID)
	assertJWTShape(t, second.Token)
	deadEverywhere(t, first.Token)

	// Logout ends it.
	r = restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/logout", bearer(second.Token), "")
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "true", string(r.Env.Data))
	assert.Equal(t, 1, s.Logouts())
	deadEverywhere(t, second.Token)

	// Expired: ExpireSession.
	third := restLogin(t, c, s, "alice", alicePW)
	assert.True(t, s.ExpireSession(third.Token))
	assert.False(t, s.ExpireSession(third.Token))
	deadEverywhere(t, third.Token)
	assert.Equal(t, 2, s.Logins())
	assert.Equal(t, 1, s.Logouts())
}

func TestREST_LogoutAndRefreshErrors(t *testing.T) {
	s := setupLogin(t)
	c := client(t, 0)
	ak := key(t, s, aliceID)
	tests := map[string]struct {
		path   string
		hdr    map[string]string
		body   string
		status int
		code   string
		data   string
	}{
		"logout with an API key":    {"/v2/auth/logout", apiKey(ak), "", 200, "", "true"},
		"logout with a bearer key":  {"/v2/auth/logout", bearer(ak), "", 200, "", "true"},
		"logout with a session":     {"/v2/auth/logout", bearer(session2), "", 200, "", "true"},
		"logout without credential": {"/v2/auth/logout", nil, "", 401, "InvalidAPIKey", "null"},
		"logout with a bad key":     {"/v2/auth/logout", apiKey("nope-nope-nope-nope"), "", 401, "InvalidAPIKey", "null"},
		"logout with a bad bearer":  {"/v2/auth/logout", bearer("nope-nope-nope-nope"), "", 401, "InvalidSession", "null"},
		"refresh unknown token":     {"/v2/auth/refresh", nil, `{"token":"nope-nope-nope"}`, 401, "InvalidSession", "null"},
		"refresh an API key":        {"/v2/auth/refresh", nil, `{"token":"` + ak + `"}`, 401, "InvalidSession", "null"},
		"refresh without token":     {"/v2/auth/refresh", nil, `{}`, 400, "InvalidParameter", "null"},
		"refresh with empty token":  {"/v2/auth/refresh", nil, `{"token":""}`, 400, "InvalidParameter", "null"},
		"refresh malformed":         {"/v2/auth/refresh", nil, `{"token":`, 400, "InvalidParameter", "null"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := restJSON(t, c, http.MethodPost, s.URL+tc.path, tc.hdr, tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			assert.Equal(t, tc.code, r.Env.ErrorCode)
			assert.Equal(t, tc.code == "", r.Env.Success)
			assert.Equal(t, tc.data, string(r.Env.Data))
		})
	}
	// Only the session's logout ended a session.
	assert.Equal(t, 1, s.Logouts())
	assert.Zero(t, s.Sessions(userID))
	assert.Equal(t, 405, restJSON(t, c, http.MethodGet, s.URL+"/v2/auth/logout", apiKey(ak), "").Status)
	assert.Equal(t, 405, restJSON(t, c, http.MethodPost, s.URL+"/v2/users/me", apiKey(ak), "").Status)
	assert.Equal(t, 404, restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/login/", nil, "").Status)
}

func TestREST_MeAndSession(t *testing.T) {
	clock := newClock()
	s := setupLogin(t, ecgridtest.WithClock(clock.Now))
	c := client(t, 0)
	tok := restLogin(t, c, s, "alice", alicePW)
	for name, hdr := range map[string]map[string]string{"key": apiKey(key(t, s, aliceID)), "token": bearer(tok.Token)} {
		t.Run("me by "+name, func(t *testing.T) {
			r := restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", hdr, "")
			require.Equal(t, 200, r.Status, "%s", r.Body)
			assert.JSONEq(t, `{"userId":20,"login":"alice","email":"alice@example.com","firstName":"Alice","lastName":"Liddell",`+
				`"networkId":100,"mailboxId":200,"authLevel":"NetworkAdmin","status":"Active","created":"2030-01-02T03:04:05.000Z"}`, string(r.Env.Data))
		})
	}
	r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/session", bearer(tok.Token), "")
	require.Equal(t, 200, r.Status)
	assert.JSONEq(t, `{"userId":20,"login":"alice","networkId":100,"mailboxId":200,"authLevel":"NetworkAdmin","expiresAt":"2030-01-02T03:24:05.000Z"}`, string(r.Env.Data))
	r = restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/session", apiKey(key(t, s, bobID)), "")
	require.Equal(t, 200, r.Status)
	assert.JSONEq(t, `{"userId":21,"login":"Bob","networkId":100,"mailboxId":201,"authLevel":"MailboxUser","expiresAt":null}`, string(r.Env.Data))
	r = restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", nil, "")
	assert.Equal(t, 401, r.Status)
	assert.Equal(t, "InvalidAPIKey", r.Env.ErrorCode)
}

func TestSOAP_Sessions(t *testing.T) {
	for _, v := range []string{"1.1", "1.2"} {
		t.Run(v, func(t *testing.T) {
			s := setupLogin(t)
			c := client(t, 0)
			// Seven arguments and two: both log in.
			sid := soapLogin(t, c, s, v, "alice", alicePW)
			assert.Regexp(t, guidShape, sid)
			r := soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "Login", Body: loginEnvelope(v, "BOB", bobPW, false)})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			assert.Equal(t, "https://os.ecgrid.io/", r.Names["LoginResponse"])
			bobSID := r.Fields["LoginResult"]
			assert.Equal(t, 2, s.Logins())
			assert.Equal(t, 1, s.Sessions(aliceID))

			// The session works for the key operations, WhoAmI and REST.
			r = soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "UserGetAPIKey", SessionID: sid, UserID: itoa(bobID)})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			assert.Equal(t, key(t, s, bobID), r.Fields["UserGetAPIKeyResult"])
			r = soapDo(t, c, s.SOAPURL, sessionCall(v, "WhoAmI", bobSID))
			require.Equal(t, 200, r.Status, "%s", r.Body)
			assert.Contains(t, string(r.Body), `<WhoAmIResponse xmlns="https://os.ecgrid.io/"><WhoAmIResult><UserID>21</UserID><Login>Bob</Login>`+
				`<NetworkID>100</NetworkID><MailboxID>201</MailboxID><AuthLevel>MailboxUser</AuthLevel></WhoAmIResult></WhoAmIResponse>`)
			assert.Equal(t, "private, max-age=0", r.Header.Get("Cache-Control"))
			assert.Equal(t, 200, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(sid), "").Status)

			// An API key in place of a SessionID.
			r = soapDo(t, c, s.SOAPURL, sessionCall(v, "WhoAmI", key(t, s, aliceID)))
			assert.Equal(t, "20", r.Fields["UserID"])
			assert.Equal(t, "NetworkAdmin", r.Fields["AuthLevel"])

			// Logout ends the session; a key logs out nothing.
			r = soapDo(t, c, s.SOAPURL, sessionCall(v, "Logout", sid))
			require.Equal(t, 200, r.Status, "%s", r.Body)
			assert.Equal(t, "true", r.Fields["LogoutResult"])
			r = soapDo(t, c, s.SOAPURL, sessionCall(v, "Logout", key(t, s, bobID)))
			assert.Equal(t, "true", r.Fields["LogoutResult"])
			assert.Equal(t, 1, s.Logouts())
			assert.Zero(t, s.Sessions(aliceID))
			for _, q := range []soapReq{
				sessionCall(v, "WhoAmI", sid),
				sessionCall(v, "Logout", sid),
				{Version: v, Op: "GenerateAPIKey", SessionID: sid, UserID: itoa(aliceID)},
			} {
				r = soapDo(t, c, s.SOAPURL, q)
				assert.Equal(t, 500, r.Status)
				assertFault(t, r, s.SOAPURL, v, true, "Authentication")
			}
			assert.Equal(t, 401, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(sid), "").Status)
		})
	}
}

func TestSOAP_LoginErrors(t *testing.T) {
	s := setupLogin(t)
	c := client(t, 0)
	for name, body := range map[string]func(v string) string{
		"wrong password":  func(v string) string { return loginEnvelope(v, "alice", bobPW, true) },
		"unknown user":    func(v string) string { return loginEnvelope(v, "carol", alicePW, false) },
		"no password set": func(v string) string { return loginEnvelope(v, "nopass", "", false) },
		"no arguments": func(v string) string {
			return strings.Replace(loginEnvelope(v, "", "", false), "<UserName></UserName><Password></Password>", "", 1)
		},
		"another namespace": func(v string) string {
			return strings.Replace(loginEnvelope(v, "alice", alicePW, false), `<Login xmlns="https://os.ecgrid.io/">`, `<Login xmlns="http://www.ecgridos.net/">`, 1)
		},
	} {
		for _, v := range []string{"1.1", "1.2"} {
			t.Run(name+" "+v, func(t *testing.T) {
				r := soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "Login", Body: body(v)})
				require.Equal(t, 500, r.Status, "%s", r.Body)
				assertFault(t, r, s.SOAPURL, v, true, "Authentication")
			})
		}
	}
	assert.Zero(t, s.Logins())
}

// TestSessionExpiry drives expiry with a clock: REST tokens expire a TTL after
// issue however much they are used, SOAP and seeded sessions after a TTL
// without use.
func TestSessionExpiry(t *testing.T) {
	clock := newClock()
	s := setupLogin(t, ecgridtest.WithClock(clock.Now), ecgridtest.WithSessionTTL(10*time.Minute))
	c := client(t, 0)
	tok := restLogin(t, c, s, "alice", alicePW).Token
	sid := soapLogin(t, c, s, "1.1", "alice", alicePW)
	me := func(cred string) int {
		return restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(cred), "").Status
	}
	whoAmI := func(cred string) int { return soapDo(t, c, s.SOAPURL, sessionCall("1.2", "WhoAmI", cred)).Status }

	clock.Add(9 * time.Minute)
	assert.Equal(t, 200, me(tok))
	assert.Equal(t, 200, whoAmI(sid))
	assert.Equal(t, 200, whoAmI(session2))
	clock.Add(9 * time.Minute) // 18 minutes after issue, 9 after last use
	assert.Equal(t, 401, me(tok), "a token expires a TTL after issue")
	assert.Equal(t, 500, whoAmI(tok))
	assert.Equal(t, 200, me(sid), "a SOAP session lives while used")
	assert.Equal(t, 200, whoAmI(session2), "so does a seeded one")
	assert.Equal(t, 2, s.Sessions(aliceID)+s.Sessions(userID))
	clock.Add(10 * time.Minute)
	assert.Equal(t, 500, whoAmI(sid))
	assert.Equal(t, 401, me(session2))
	assert.Zero(t, s.Sessions(aliceID))
	assert.Zero(t, s.Sessions(userID))

	// A refreshed token lives a TTL from the refresh.
	tok = restLogin(t, c, s, "alice", alicePW).Token
	clock.Add(9 * time.Minute)
	r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/refresh", nil, `{"token":"`+tok+`"}`)
	require.Equal(t, 200, r.Status)
	var a loginAnswer
	require.NoError(t, json.Unmarshal(r.Env.Data, &a))
	assert.Equal(t, "2030-01-02T03:51:05.000Z", *a.ExpiresAt, "refresh time (03:41:05) + TTL")
	clock.Add(9 * time.Minute)
	assert.Equal(t, 200, me(a.Token))
	clock.Add(time.Minute)
	assert.Equal(t, 401, me(a.Token))

	// Keys never expire.
	assert.Equal(t, 200, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", apiKey(key(t, s, aliceID)), "").Status)
}

// TestSessionTTLRealClock checks WithSessionTTL with the real clock.
func TestSessionTTLRealClock(t *testing.T) {
	s := setupLogin(t, ecgridtest.WithSessionTTL(150*time.Millisecond))
	c := client(t, 0)
	tok := restLogin(t, c, s, "bob", bobPW).Token
	assert.Equal(t, 200, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(tok), "").Status)
	time.Sleep(200 * time.Millisecond)
	r := restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(tok), "")
	assert.Equal(t, 401, r.Status)
	assert.Equal(t, "InvalidSession", r.Env.ErrorCode)
}

func TestExpireSessions(t *testing.T) {
	s := setupLogin(t)
	c := client(t, 0)
	tok := restLogin(t, c, s, "alice", alicePW).Token
	sid := soapLogin(t, c, s, "1.2", "alice", alicePW)
	s.AddSession(aliceID, "seeded-session-for-alice")
	bob := restLogin(t, c, s, "bob", bobPW).Token
	assert.Equal(t, 3, s.Sessions(aliceID))
	assert.Equal(t, 3, s.ExpireSessions(aliceID))
	assert.Zero(t, s.ExpireSessions(aliceID))
	for _, cred := range []string{tok, sid, "seeded-session-for-alice"} {
		assert.Equal(t, 401, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(cred), "").Status)
	}
	assert.Equal(t, 200, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(bob), "").Status, "other users keep theirs")
	assert.False(t, s.ExpireSession("never-was-a-session"))
	assert.Zero(t, s.Logouts(), "expiring is not logging out")
}

// TestSessionsSurviveRotation rotates a user's key and uses its sessions.
func TestSessionsSurviveRotation(t *testing.T) {
	s := setupLogin(t)
	c := client(t, 0)
	tok := restLogin(t, c, s, "bob", bobPW).Token
	sid := soapLogin(t, c, s, "1.1", "bob", bobPW)
	r := restJSON(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/21", bearer(tok), "")
	require.Equal(t, 200, r.Status)
	r = restJSON(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/21", bearer(sid), "")
	require.Equal(t, 200, r.Status)
	assert.Equal(t, 2, s.Rotations(bobID))
	assert.Equal(t, 200, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(tok), "").Status)
	assert.Equal(t, 200, soapDo(t, c, s.SOAPURL, sessionCall("1.1", "WhoAmI", sid)).Status)
}

// TestConcurrentLogins logs in from many goroutines over both APIs: every login
// is counted once and gets its own session.
func TestConcurrentLogins(t *testing.T) {
	const n = 100
	s := setupLogin(t)
	c := client(t, 30*time.Second)
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = n
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var id string
			if i%2 == 0 {
				r, err := restTryBody(c, s.URL+"/v2/auth/login", loginBody("alice", alicePW))
				if err != nil {
					errs <- err
					return
				}
				var a struct{ Data loginAnswer }
				if err := json.Unmarshal(r, &a); err != nil || a.Data.Token == "" {
					errs <- fmt.Errorf("login: %v %s", err, r)
					return
				}
				id = a.Data.Token
			} else {
				r, err := soapTry(c, s.SOAPURL, soapReq{Version: "1.1", Op: "Login", Body: loginEnvelope("1.1", "alice", alicePW, true)})
				if err != nil || r.Status != 200 {
					errs <- fmt.Errorf("soap login: %v %d", err, r.Status)
					return
				}
				id = r.Fields["LoginResult"]
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[id] {
				errs <- fmt.Errorf("session handed out twice")
			}
			seen[id] = true
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, n, s.Logins())
	assert.Equal(t, n, s.Sessions(aliceID))
	assert.Len(t, seen, n)
}

func restTryBody(c *http.Client, url, body string) ([]byte, error) {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// TestSessionFaults targets the session operations with faults.
func TestSessionFaults(t *testing.T) {
	t.Run("REST login refused, not counted", func(t *testing.T) {
		s := setupLogin(t)
		c := client(t, 0)
		s.Inject(ecgridtest.Fault{Op: "Login", Status: 503, RetryAfter: "2"})
		r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/login", nil, loginBody("alice", alicePW))
		assert.Equal(t, 503, r.Status)
		assert.Equal(t, "2", r.Header.Get("Retry-After"))
		assert.Zero(t, s.Logins())
		restLogin(t, c, s, "alice", alicePW)
		assert.Equal(t, 1, s.Logins())
	})
	t.Run("applied login then a server error", func(t *testing.T) {
		s := setupLogin(t)
		c := client(t, 0)
		s.Inject(ecgridtest.Fault{Op: "Login", Apply: true, Unhandled: true})
		r := soapDo(t, c, s.SOAPURL, soapReq{Version: "1.2", Op: "Login", Body: loginEnvelope("1.2", "alice", alicePW, true)})
		assert.Equal(t, 500, r.Status)
		assertFault(t, r, s.SOAPURL, "1.2", false, "")
		assert.Equal(t, 1, s.Logins())
		assert.Equal(t, 1, s.Sessions(aliceID), "the session exists though the caller never saw it")
	})
	t.Run("other operations are not matched", func(t *testing.T) {
		s := setupLogin(t)
		c := client(t, 0)
		s.Inject(ecgridtest.Fault{Op: "Logout", Status: 500})
		s.Inject(ecgridtest.Fault{Op: "Refresh", Status: 502})
		s.Inject(ecgridtest.Fault{Op: "WhoAmI", Transport: "soap", Status: 504})
		s.Inject(ecgridtest.Fault{Op: "Session", Status: 429})
		tok := restLogin(t, c, s, "alice", alicePW).Token
		assert.Equal(t, 200, restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", bearer(tok), "").Status)
		assert.Equal(t, 429, restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/session", bearer(tok), "").Status)
		assert.Equal(t, 504, soapDo(t, c, s.SOAPURL, sessionCall("1.1", "WhoAmI", tok)).Status)
		assert.Equal(t, 502, restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/refresh", nil, `{"token":"`+tok+`"}`).Status)
		assert.Equal(t, 500, restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/logout", bearer(tok), "").Status)
		assert.Zero(t, s.Logouts())
		assert.Zero(t, s.PendingFaults())
	})
	t.Run("empty token and empty answers", func(t *testing.T) {
		s := setupLogin(t)
		c := client(t, 0)
		s.Inject(ecgridtest.Fault{Times: 4, EmptyKey: true})
		r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/login", nil, loginBody("alice", alicePW))
		assert.JSONEq(t, `{"token":"","expiresAt":null,"userId":0}`, string(r.Env.Data))
		r = restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", apiKey(key(t, s, aliceID)), "")
		assert.True(t, r.Env.Success)
		assert.Equal(t, "null", string(r.Env.Data))
		sr := soapDo(t, c, s.SOAPURL, soapReq{Version: "1.1", Op: "Login", Body: loginEnvelope("1.1", "alice", alicePW, true)})
		assert.Contains(t, string(sr.Body), `<LoginResult></LoginResult>`)
		sr = soapDo(t, c, s.SOAPURL, sessionCall("1.2", "WhoAmI", key(t, s, aliceID)))
		assert.Contains(t, string(sr.Body), `<WhoAmIResponse xmlns="https://os.ecgrid.io/"></WhoAmIResponse>`)
		assert.Zero(t, s.Logins())
	})
	t.Run("oversize answers stay well-formed", func(t *testing.T) {
		const n = 5000
		s := setupLogin(t)
		c := client(t, 0)
		s.Inject(ecgridtest.Fault{Times: 3, Oversize: n})
		r := restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/login", nil, loginBody("alice", alicePW))
		assert.Len(t, r.Body, n)
		var a loginAnswer
		require.NoError(t, json.Unmarshal(r.Env.Data, &a))
		assert.Greater(t, len(a.Token), n-200)
		r = restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/logout", apiKey(key(t, s, aliceID)), "")
		assert.Len(t, r.Body, n)
		assert.Equal(t, "true", string(r.Env.Data))
		sr := soapDo(t, c, s.SOAPURL, sessionCall("1.1", "WhoAmI", key(t, s, aliceID)))
		assert.Len(t, sr.Body, n)
		assert.Equal(t, "0", sr.Fields["UserID"], "a made-up user")
	})
}

// TestSessionRequestLog checks the log names the session operations and never
// holds a password or a whole token.
func TestSessionRequestLog(t *testing.T) {
	s := setupLogin(t)
	c := client(t, 0)
	tok := restLogin(t, c, s, "alice", alicePW).Token
	restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/refresh", nil, `{"token":"`+tok+`"}`)
	sid := soapLogin(t, c, s, "1.2", "bob", bobPW)
	soapDo(t, c, s.SOAPURL, sessionCall("1.2", "WhoAmI", sid))
	soapDo(t, c, s.SOAPURL, sessionCall("1.1", "Logout", sid))
	restJSON(t, c, http.MethodGet, s.URL+"/v2/users/me", apiKey(key(t, s, aliceID)), "")
	restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/session", bearer(session2), "")

	reqs := s.Requests()
	var ops, creds []string
	for _, r := range reqs {
		ops = append(ops, r.Transport+" "+r.Op)
		creds = append(creds, r.Credential)
	}
	assert.Equal(t, []string{"rest Login", "rest Refresh", "soap Login", "soap WhoAmI", "soap Logout", "rest WhoAmI", "rest Session"}, ops)
	assert.Equal(t, []string{"", tok[:4] + "…", "", sid[:4] + "…", sid[:4] + "…", key(t, s, aliceID)[:4] + "…", session2[:4] + "…"}, creds)
	dump := fmt.Sprintf("%v %+v %#v", reqs, reqs, reqs)
	for _, secret := range []string{alicePW, bobPW, tok, sid, session2} {
		assert.NotContains(t, dump, secret)
	}
}
