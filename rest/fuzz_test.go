package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// Secrets handed to parse by the fuzz targets: the caller's API key and
// bearer token, and Login's password. Seeds echo them in every field an
// answer has. The password holds the characters JSON and XML escape, so
// that only a decoded echo matches it.
const (
	fuzzAPIKey   = "AK-fuzz-9d8c7b6a-api-key"
	fuzzToken    = "eyJhbGciOiJIUzI1NiJ9.fuzz-secret-jwt"
	fuzzPassword = `Pa55<w&rd>"fuzz'`
	fuzzKey      = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	fuzzKey32    = "mnp456qrs789tuv012wxy345zab678cd"
	fuzzNewJWT   = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"
)

// fuzzOp is one operation as the fuzz targets drive parse: what its public
// method has parse decode the data into (nil: parse returns a key), and the
// secrets it hands to parse.
type fuzzOp struct {
	op      string
	secrets []string
	newOut  func() any
}

var fuzzOps = []fuzzOp{
	{OpGenerateAPIKey, []string{fuzzAPIKey, fuzzToken}, func() any { return nil }},
	{OpGetAPIKey, []string{fuzzAPIKey, fuzzToken}, func() any { return nil }},
	{OpLogin, []string{fuzzPassword}, func() any { return new(tokenData) }},
	{OpRefresh, []string{fuzzToken}, func() any { return new(tokenData) }},
	{OpLogout, []string{fuzzAPIKey, fuzzToken}, func() any { return new(loggedOut) }},
	{OpMe, []string{fuzzAPIKey, fuzzToken}, func() any { return new(User) }},
}

func opByName(name string) fuzzOp {
	for _, o := range fuzzOps {
		if o.op == name {
			return o
		}
	}
	panic("no operation " + name)
}

var fuzzClient = func() *Client {
	c, err := New(Config{BaseURL: "https://rest.ecgrid.io"})
	if err != nil {
		panic(err)
	}
	return c
}()

// outcome is what the public method of an operation returns for one answer,
// computed the way the method computes it from parse.
type outcome struct {
	key   string // GenerateAPIKey, GetAPIKey
	token Token  // Login, Refresh
	user  User   // Me
	err   error
}

// hasResult reports whether the outcome carries a result.
func (o outcome) hasResult() bool {
	return o.key != "" || o.token != (Token{}) || o.user != (User{})
}

// run parses one answer for op, as (*Client).do does after reading the body.
func run(o fuzzOp, status int, h http.Header, body []byte) outcome {
	out := o.newOut()
	key, err := fuzzClient.parse(o.op, status, h, body, out, o.secrets)
	r := outcome{key: key} // keyCall returns parse's key with its error
	switch out := out.(type) {
	case *tokenData: // Login and Refresh return t.token() with the error
		r.token = out.token()
	case *User: // Me returns u with the error
		r.user = *out
	}
	if err != nil {
		r.err = err // keep a nil error an untyped nil
	}
	return r
}

// fuzzStatus maps any int to an HTTP status 100..599 (seeds are kept).
func fuzzStatus(s int) int {
	if s >= 100 && s <= 599 {
		return s
	}
	s %= 500
	if s < 0 {
		s += 500
	}
	return 100 + s
}

// unprintable returns the first character of s that must never reach an
// error's text: invalid UTF-8, a C0 or C1 control, DEL, a line or paragraph
// separator, or a format character (Cf: bidi controls, zero-width joiners,
// the BOM, …).
func unprintable(s string) (string, bool) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return strconv.Quote(s[i : i+1]), true
		case r < 0x20, r >= 0x7f && r <= 0x9f, r == 0x2028, r == 0x2029, unicode.Is(unicode.Cf, r):
			return strconv.QuoteRuneToASCII(r), true
		}
		i += n
	}
	return "", false
}

// checkText fails when s holds a secret or a character that is not printable.
func checkText(t *testing.T, what, s string, secrets []string) {
	t.Helper()
	for _, v := range secrets {
		if strings.Contains(s, v) {
			t.Fatalf("%s holds the secret %q: %q", what, v, s)
		}
	}
	if c, bad := unprintable(s); bad {
		t.Fatalf("%s holds the unprintable character %s: %q", what, c, s)
	}
}

// checkError asserts what every *Error of parse must be.
func checkError(t *testing.T, o fuzzOp, status int, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e == nil {
		t.Fatalf("%s: the error is %T, not a *Error: %v", o.op, err, err)
	}
	if e.Op != o.op || e.StatusCode != status || e.NotSent {
		t.Fatalf("%s: got Op %q, StatusCode %d, NotSent %v; want %q, %d, false", o.op, e.Op, e.StatusCode, e.NotSent, o.op, status)
	}
	checkText(t, o.op+": Error()", e.Error(), o.secrets)
	for name, s := range map[string]string{"Message": e.Message, "ErrorCode": e.ErrorCode, "Problem": e.Problem} {
		checkText(t, o.op+": "+name, s, o.secrets)
	}
	if e.Envelope && e.Problem != "" || !e.Envelope && (e.Problem == "" || e.ErrorCode != "" || e.Message != "") {
		t.Fatalf("%s: Envelope %v with Problem %q, ErrorCode %q, Message %q", o.op, e.Envelope, e.Problem, e.ErrorCode, e.Message)
	}
	want := time.Duration(0)
	if status == 429 || status == 503 {
		want = 3 * time.Second // the Retry-After the fuzz target sends
	}
	if e.RetryAfter != want {
		t.Fatalf("%s: HTTP %d: RetryAfter %v, want %v", o.op, status, e.RetryAfter, want)
	}
	return e
}

// oracleData decodes body as a JSON success envelope with nothing of
// encoding/json's leniency on bytes: it must be UTF-8. ok is false when the
// body is anything else.
func oracleData(body []byte) (data json.RawMessage, ok bool) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) {
		return nil, false
	}
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &env) != nil || env.Success == nil || !*env.Success {
		return nil, false
	}
	return env.Data, true
}

// checkSecretResult asserts what a returned key or token must be.
func checkSecretResult(t *testing.T, op, what, v string) {
	t.Helper()
	if err := wire.CheckSecret(what, v); err != nil {
		t.Fatalf("%s: the %s returned fails CheckSecret: %v: %q", op, what, err, v)
	}
	if strings.TrimSpace(v) != v || strings.TrimFunc(v, unicode.IsSpace) != v {
		t.Fatalf("%s: the %s returned has surrounding white space: %q", op, what, v)
	}
}

// checkOutcome asserts the contract of one parse: exactly one of a result
// and an error, the error's facts and text, the result's validity.
func checkOutcome(t *testing.T, o fuzzOp, status int, body []byte, r outcome) {
	t.Helper()
	if r.err != nil {
		checkError(t, o, status, r.err)
		if r.hasResult() {
			t.Fatalf("%s: both a result and an error: %+v", o.op, r)
		}
		return
	}
	if status < 200 || status > 299 {
		t.Fatalf("%s: success for HTTP %d", o.op, status)
	}
	data, ok := oracleData(body)
	if !ok {
		t.Fatalf("%s: success from a body that is not a UTF-8 JSON success envelope", o.op)
	}
	switch o.op {
	case OpGenerateAPIKey, OpGetAPIKey:
		var key string
		if json.Unmarshal(data, &key) != nil || key != r.key {
			t.Fatalf("%s: returned the key %q, the envelope's data is %s", o.op, r.key, data)
		}
		checkSecretResult(t, o.op, "key", r.key)
	case OpLogin, OpRefresh:
		var td struct{ Token string }
		if json.Unmarshal(data, &td) != nil || td.Token != r.token.Token {
			t.Fatalf("%s: returned the token %q, the envelope's data is %s", o.op, r.token.Token, data)
		}
		checkSecretResult(t, o.op, "token", r.token.Token)
	case OpMe:
		if r.user.UserID <= 0 {
			t.Fatalf("Me: success without a user ID: %+v", r.user)
		}
		for _, s := range []string{r.user.Login, r.user.Email, r.user.FirstName, r.user.LastName, r.user.AuthLevel, r.user.Status} {
			if c, bad := unprintable(s); bad {
				t.Fatalf("Me: a User field holds the unprintable character %s: %q", c, s)
			}
		}
	case OpLogout:
		if r.hasResult() {
			t.Fatalf("Logout: a result: %+v", r)
		}
	}
}

// jsonSpace reports whether c is JSON white space.
func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// checkPrefixes asserts that no strict prefix of a successful answer, cut
// before its last byte that is not white space, is a success too. The
// prefixes are sampled (prefixLengths): TestTruncatedNeverSucceeds tries
// every one of the seeds'.
func checkPrefixes(t *testing.T, o fuzzOp, status int, h http.Header, body []byte) {
	t.Helper()
	end := len(body)
	for end > 0 && jsonSpace(body[end-1]) {
		end--
	}
	for _, n := range prefixLengths(end) {
		if r := run(o, status, h, body[:n]); r.err == nil {
			t.Fatalf("%s: the prefix of %d of %d bytes is a success too: %q", o.op, n, len(body), body[:n])
		}
	}
}

var bom = []byte("\xef\xbb\xbf")

func envelopeJSON(success bool, data any, code, message string) string {
	b, err := json.Marshal(map[string]any{"success": success, "data": data, "errorCode": code, "message": message})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// successEnvelopes are complete success answers of each operation, with
// nothing after the closing brace, so that every strict prefix is
// incomplete.
var successEnvelopes = []struct{ op, body string }{
	{OpGenerateAPIKey, `{"success": true, "data": "` + fuzzKey + `", "errorCode": "", "message": ""}`},
	{OpGenerateAPIKey, `{"success":true,"data":"` + fuzzKey32 + `","errorCode":null,"message":null}`},
	{OpGetAPIKey, "{\n  \"data\": \"" + fuzzKey + "\",\n  \"success\": true,\n  \"extra\": {\"a\": [1, 2]}\n}"},
	{OpGetAPIKey, `{"success":true,"data":"f9e8d7c6\u002db5a4"}`},
	{OpLogin, `{"success":true,"data":{"token":"` + fuzzNewJWT + `","expiresAt":"2030-01-02T03:04:05Z","userId":42},"errorCode":"","message":""}`},
	{OpRefresh, `{"success":true,"data":{"token":"` + fuzzNewJWT + `","expiresAt":"2030-01-02T03:04:05Z","userId":42}}`},
	{OpLogout, `{"success":true,"data":null,"errorCode":"","message":""}`},
	{OpMe, `{"success":true,"data":{"userId":42,"login":"jdoe","email":"j@example.com","firstName":"J","lastName":"Doe","networkId":1,"mailboxId":2,"authLevel":"NetworkAdmin","status":"Active","created":"2020-01-01T00:00:00Z"}}`},
}

func FuzzRESTEnvelope(f *testing.F) {
	const js = "application/json; charset=utf-8"
	add := func(status int, body, ct string) { f.Add(status, []byte(body), ct) }

	for _, s := range successEnvelopes {
		add(200, s.body, js)
		add(200, string(bom)+s.body, js)
	}
	add(201, successEnvelopes[0].body+"\n", "application/json")
	// Keys that are not usable.
	add(200, envelopeJSON(true, "  "+fuzzKey+"\t", "", ""), js)
	add(200, envelopeJSON(true, fuzzKey+"\u00a0", "", ""), js)
	add(200, envelopeJSON(true, fuzzKey+"\u202e", "", ""), js)
	add(200, envelopeJSON(true, "", "", ""), js)
	add(200, envelopeJSON(true, "   ", "", ""), js)
	add(200, envelopeJSON(true, nil, "", ""), js)
	add(200, `{"success":true,"data":12345,"errorCode":"","message":""}`, js)
	add(200, `{"success":true,"data":{"key":"`+fuzzKey+`"},"errorCode":"","message":""}`, js)
	add(200, `{"success":true,"data":["`+fuzzKey+`"]}`, js)
	add(200, `{"success":"true","data":"`+fuzzKey+`"}`, js)
	add(200, `{"data":"`+fuzzKey+`"}`, js)
	add(200, `{"success":true,"data":"abc\u0000def"}`, js)
	add(200, `{"success":true,"data":"abc\ud800def"}`, js)
	add(200, `{"success":true,"data":"`+fuzzKey+`"} {"success":false}`, js)
	add(200, `{"success":true,"data":"`+strings.Repeat("k", 5000)+`"}`, js)
	// Tokens that are not usable, and users without an ID.
	add(200, `{"success":true,"data":{"token":" `+fuzzNewJWT+`","userId":42}}`, js)
	add(200, `{"success":true,"data":{"token":"`+fuzzNewJWT+`","userId":"42"}}`, js)
	add(200, `{"success":true,"data":{"token":"`+fuzzNewJWT+`","expiresAt":"tomorrow"}}`, js)
	add(200, `{"success":true,"data":{"token":""}}`, js)
	add(200, `{"success":true,"data":"`+fuzzNewJWT+`"}`, js)
	add(200, `{"success":true,"data":{"userId":0,"login":"x"}}`, js)
	add(200, `{"success":true,"data":{"userId":42,"login":"ev\u202eil\u0007\n","created":"2020-01-01T00:00:00Z"}}`, js)
	add(200, `{"success":true,"data":{"userId":42,"created":"yesterday"}}`, js)
	// Each errorCode of the table with its usual status, echoing secrets.
	for _, c := range []struct {
		code   string
		status int
	}{
		{"InvalidAPIKey", 401}, {"InvalidSession", 401}, {"AccessDenied", 403}, {"ObjectNotFound", 404},
		{"InvalidParameter", 400}, {"DuplicateObject", 400}, {"RateLimitExceeded", 429}, {"InternalError", 500},
	} {
		add(c.status, envelopeJSON(false, nil, c.code, c.code+" for key "+fuzzAPIKey), js)
		add(200, envelopeJSON(false, nil, c.code, "refused"), js)
	}
	add(401, envelopeJSON(false, nil, "InvalidLogin", "wrong password "+fuzzPassword), js)
	add(401, envelopeJSON(false, nil, fuzzPassword, "wrong password"), js)
	add(401, envelopeJSON(false, nil, "InvalidSession", "token "+fuzzToken+" expired"), js)
	add(503, envelopeJSON(false, nil, "InternalError", "maintenance"), js)
	add(502, envelopeJSON(false, nil, "InvalidAPIKey", "proxied"), js)
	add(500, envelopeJSON(false, nil, "Whatever", "boom\r\n\u202e\u2028\x1b[31m"), js)
	add(200, envelopeJSON(false, nil, "", ""), js)
	add(200, envelopeJSON(false, fuzzKey, "", "not really"), js)
	add(401, envelopeJSON(true, fuzzKey, "", ""), js)
	add(500, envelopeJSON(true, fuzzKey, "", ""), js)
	add(400, envelopeJSON(false, nil, "InvalidParameter", "token "+fuzzToken+" and key "+fuzzAPIKey+" are both wrong"), js)
	add(401, envelopeJSON(false, nil, "InvalidAPIKey", strings.Repeat("\u00e9", 400)+fuzzAPIKey+strings.Repeat("x", 300)), js)
	add(401, `{"success":false,"errorCode":"InvalidAPIKey","message":"AK-fuzz-9d8c7b6a\u002dapi-key","data":null}`, js)
	add(401, envelopeJSON(false, nil, "InvalidAPIKey", strings.Repeat("m", 4096)), js)
	add(401, `{"success":false,"errorCode":"InvalidAPIKey","message":"bad \xff\xfe byte"}`, js)
	// Not an envelope.
	add(200, "", js)
	add(204, "", "")
	add(500, "", "")
	add(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
	add(200, "<html><body>Welcome</body></html>", "text/html; charset=utf-8")
	add(404, "<html>Not Found</html>", "text/html")
	add(401, "<html>Unauthorized</html>", "text/html; key="+fuzzAPIKey)
	add(401, "<html>Unauthorized</html>", "text/html\x1b]0;owned\x07")
	add(503, "Service Unavailable", "text/plain")
	add(429, "Too Many Requests", "text/plain")
	add(307, "", "")
	add(302, successEnvelopes[0].body, js)
	add(200, "null", js)
	add(200, "[]", js)
	add(200, `"`+fuzzKey+`"`, js)
	// Truncated JSON.
	s0 := successEnvelopes[0].body
	add(200, s0[:len(s0)/2], js)
	add(200, s0[:strings.Index(s0, fuzzKey)+8], js)
	add(200, s0[:len(s0)-1], js)

	f.Fuzz(func(t *testing.T, status int, body []byte, contentType string) {
		status = fuzzStatus(status)
		h := http.Header{}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		h.Set("Retry-After", "3")
		for _, o := range fuzzOps {
			r := run(o, status, h, body)
			checkOutcome(t, o, status, body, r)
			if !bytes.HasPrefix(body, bom) {
				// One leading BOM changes nothing (a second one would be
				// text before the JSON value).
				withBOM := run(o, status, h, append(append([]byte(nil), bom...), body...))
				if !reflect.DeepEqual(r, withBOM) {
					t.Fatalf("%s: a leading BOM changes the outcome:\n%+v\n%+v", o.op, r, withBOM)
				}
			}
			if r.err == nil {
				checkPrefixes(t, o, status, h, body)
			}
		}
	})
}

// TestTruncatedNeverSucceeds cuts every success envelope at every byte
// offset: each strict prefix must give an *Error, never a result.
func TestTruncatedNeverSucceeds(t *testing.T) {
	for i, s := range successEnvelopes {
		o := opByName(s.op)
		for _, body := range [][]byte{[]byte(s.body), append(append([]byte(nil), bom...), s.body...)} {
			r := run(o, 200, http.Header{}, body)
			if r.err != nil {
				t.Fatalf("envelope %d (%s): %v", i, s.op, r.err)
			}
			for n := 0; n < len(body); n++ {
				r := run(o, 200, http.Header{}, body[:n])
				if r.err == nil || r.hasResult() {
					t.Fatalf("%s: the prefix of %d of %d bytes gave %+v: %q", s.op, n, len(body), r, body[:n])
				}
				checkOutcome(t, o, 200, body[:n], r)
			}
		}
	}
}

// TestTokenWithError: Login and Refresh must return no Token with their
// *Error. They return t.token() whatever parse said, and parse decodes the
// data into t before it checks the token, so a refused token (white space,
// a control character) or data that decodes only in part comes back with
// the error.
func TestTokenWithError(t *testing.T) {
	for name, data := range map[string]string{
		"token with a leading space":     `{"token":" ` + fuzzNewJWT + `","userId":42}`,
		"token with a control character": `{"token":"` + fuzzNewJWT + `\u0007","userId":42}`,
		"userId of the wrong type":       `{"token":"` + fuzzNewJWT + `","userId":"42"}`,
	} {
		for _, op := range []string{OpLogin, OpRefresh} {
			t.Run(op+"/"+name, func(t *testing.T) {
				body := []byte(`{"success":true,"data":` + data + `}`)
				r := run(opByName(op), 200, http.Header{}, body)
				if r.err == nil {
					t.Fatalf("success: %+v", r)
				}
				if r.token != (Token{}) {
					t.Fatalf("a Token comes back with the error %v: %v (token %q)", r.err, r.token, r.token.Token)
				}
			})
		}
	}
}

// prefixLengths returns the lengths of the strict prefixes of an n-byte body
// the fuzz target tries: every cut in the last 64 bytes and 64 others spread
// evenly, so that an input costs O(n) and minimization stays fast.
func prefixLengths(n int) []int {
	var out []int
	for i := n - 1; i >= 0 && i >= n-64; i-- {
		out = append(out, i)
	}
	if n > 64 {
		for i := 0; i < 64; i++ {
			out = append(out, i*(n-64)/64)
		}
	}
	return out
}

// FuzzEnvelopeFastPath checks that the hand-written reader of the common
// envelope shape agrees with encoding/json whenever it accepts an answer.
func FuzzEnvelopeFastPath(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"data":"k","errorCode":"","message":""}`,
		` { "data" : null , "success" : false , "errorCode" : "InvalidAPIKey", "message": "no" } `,
		`{"success":true,"data":"a","data":"b"}`, `{"Success":true}`, `{}`, `{"success":true}x`,
		`{"success":true,"data":{"token":"t"}}`, `{"message":null,"errorCode":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast envelope
		if !utf8.Valid(body) || !fastEnvelope(body, &fast) { // parse checks UTF-8 first
			return
		}
		var slow envelope
		if err := json.Unmarshal(body, &slow); err != nil {
			t.Fatalf("the fast path accepted what encoding/json refuses (%v): %q", err, body)
		}
		if (fast.Success == nil) != (slow.Success == nil) || fast.Success != nil && *fast.Success != *slow.Success ||
			string(fast.Data) != string(slow.Data) || fast.ErrorCode != slow.ErrorCode || fast.Message != slow.Message {
			t.Fatalf("fast %+v, encoding/json %+v: %q", fast, slow, body)
		}
	})
}
