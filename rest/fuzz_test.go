package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ecgridkit/ecgrid/internal/core"
	"github.com/ecgridkit/ecgrid/internal/core/coretest"
)

// Secrets handed to parse by the fuzz targets: the caller's API key and a
// bearer token. Some seeds echo them in the message.
const (
	fuzzAPIKey = "AK-fuzz-9d8c7b6a-api-key"
	fuzzToken  = "eyJhbGciOiJIUzI1NiJ9.fuzz-secret-jwt"
	fuzzKey    = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	fuzzKey32  = "mnp456qrs789tuv012wxy345zab678cd"
)

var (
	fuzzSecrets = []string{fuzzAPIKey, fuzzToken}
	fuzzBase    = &url.URL{Scheme: "https", Host: "rest.ecgrid.io"}
)

// successEnvelopes are complete success answers with no trailing bytes, so
// every strict prefix is incomplete.
var successEnvelopes = []struct{ body, key string }{
	{`{"success": true, "data": "` + fuzzKey + `", "errorCode": "", "message": ""}`, fuzzKey},
	{`{"success":true,"data":"` + fuzzKey32 + `","errorCode":null,"message":null}`, fuzzKey32},
	{"{\n  \"data\": \"" + fuzzKey + "\",\n  \"success\": true,\n  \"extra\": {\"a\": [1, 2]}\n}", fuzzKey},
	{`{"success":true,"data":"f9e8d7c6\u002db5a4"}`, "f9e8d7c6-b5a4"},
}

func envelopeJSON(success bool, data any, code, message string) string {
	b, err := json.Marshal(map[string]any{"success": success, "data": data, "errorCode": code, "message": message})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// checkREST asserts the properties every answer must have.
func checkREST(t *testing.T, status int, body []byte, key string, err error) {
	t.Helper()
	e := coretest.Check(t, key, err, coretest.Want{Op: core.OpGenerateAPIKey, Transport: core.TransportREST,
		Status: status, UserID: 42, Secrets: fuzzSecrets})
	if e != nil {
		if status/100 == 5 && status != 501 && status != 503 && e.Outcome != core.OutcomeUnknown {
			t.Fatalf("HTTP %d must give an unknown outcome: %v", status, err)
		}
		// A 2xx without a key is an unknown outcome, except an envelope
		// whose errorCode names a refusal (the scenario table's
		// "200 refusal: success:false AccessDenied").
		if status >= 200 && status <= 299 && e.Outcome != core.OutcomeUnknown {
			if k := core.KindForCode(e.Code); k == nil || k != e.Kind {
				t.Fatalf("HTTP %d error without a refusal code must give an unknown outcome: %v", status, err)
			}
		}
		if status >= 300 && status < 400 && e.Kind != core.ErrRedirect {
			t.Fatalf("HTTP %d must give ErrRedirect: %v", status, err)
		}
		return
	}
	// JSON text must be UTF-8 (RFC 8259 §8.1); encoding/json turns invalid
	// bytes into U+FFFD, which would hand back a key the server never sent.
	if !utf8.Valid(body) {
		t.Fatalf("key %q returned from a body that is not valid UTF-8", key)
	}
	var env struct {
		Success *bool   `json:"success"`
		Data    *string `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Success == nil || !*env.Success || env.Data == nil || *env.Data != key {
		t.Fatalf("key %q returned from a body that is not a success envelope holding it (%v)", key, err)
	}
}

func FuzzRESTEnvelope(f *testing.F) {
	const js = "application/json; charset=utf-8"
	add := func(status int, body, ct string) { f.Add(status, []byte(body), ct) }

	for _, s := range successEnvelopes {
		add(200, s.body, js)
	}
	add(201, successEnvelopes[0].body+"\n", "application/json")
	add(200, envelopeJSON(true, "  "+fuzzKey+"\t", "", ""), js)
	add(200, envelopeJSON(true, "", "", ""), js)
	add(200, envelopeJSON(true, "   ", "", ""), js)
	add(200, envelopeJSON(true, nil, "", ""), js)
	add(200, `{"success":true,"data":12345,"errorCode":"","message":""}`, js)
	add(200, `{"success":true,"data":{"key":"`+fuzzKey+`"},"errorCode":"","message":""}`, js)
	add(200, `{"success":true,"data":["`+fuzzKey+`"]}`, js)
	add(200, `{"success":"true","data":"`+fuzzKey+`"}`, js)
	add(200, `{"data":"`+fuzzKey+`"}`, js)
	add(200, `{"success":true,"data":"abc\u0000def"}`, js)
	add(200, `{"success":true,"data":"`+fuzzKey+`"} {"success":false}`, js)
	add(200, `{"success":true,"data":"`+strings.Repeat("k", 5000)+`"}`, js)
	// Each errorCode of the table with its usual status.
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
	add(503, envelopeJSON(false, nil, "InternalError", "maintenance"), js)
	add(502, envelopeJSON(false, nil, "InvalidAPIKey", "proxied"), js)
	add(500, envelopeJSON(false, nil, "Whatever", "boom"), js)
	add(200, envelopeJSON(false, nil, "", ""), js)
	add(200, envelopeJSON(false, fuzzKey, "", "not really"), js)
	add(401, envelopeJSON(true, fuzzKey, "", ""), js)
	add(500, envelopeJSON(true, fuzzKey, "", ""), js)
	add(400, envelopeJSON(false, nil, "InvalidParameter", "token "+fuzzToken+" and key "+fuzzAPIKey+" are both wrong"), js)
	add(401, envelopeJSON(false, nil, "InvalidAPIKey", strings.Repeat("\u00e9", 400)+fuzzAPIKey+strings.Repeat("x", 300)), js)
	add(401, `{"success":false,"errorCode":"InvalidAPIKey","message":"AK-fuzz-9d8c7b6a\u002dapi-key","data":null}`, js)
	add(401, envelopeJSON(false, nil, "InvalidAPIKey", strings.Repeat("m", 4096)), js)
	// Not an envelope.
	add(200, "", js)
	add(204, "", "")
	add(500, "", "")
	add(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
	add(200, "<html><body>Welcome</body></html>", "text/html; charset=utf-8")
	add(404, "<html>Not Found</html>", "text/html")
	add(503, "Service Unavailable", "text/plain")
	add(429, "Too Many Requests", "text/plain")
	add(307, "", "")
	add(200, "null", js)
	add(200, "[]", js)
	add(200, `"`+fuzzKey+`"`, js)
	// Truncated JSON.
	s0 := successEnvelopes[0].body
	add(200, s0[:len(s0)/2], js)
	add(200, s0[:strings.Index(s0, fuzzKey)+8], js)
	add(200, s0[:len(s0)-1], js)

	f.Fuzz(func(t *testing.T, status int, body []byte, contentType string) {
		status = coretest.Status(status)
		h := http.Header{}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		h.Set("Retry-After", "3")
		key, err := parse(core.OpGenerateAPIKey, 42, fuzzBase, status, h, body, fuzzSecrets)
		checkREST(t, status, body, key, err)
	})
}

// TestRESTTruncatedNeverYieldsKey cuts every success envelope at every byte
// offset: each strict prefix must give an error, never a key.
func TestRESTTruncatedNeverYieldsKey(t *testing.T) {
	for i, s := range successEnvelopes {
		body := []byte(s.body)
		key, err := parse(core.OpGenerateAPIKey, 42, fuzzBase, 200, http.Header{}, body, fuzzSecrets)
		if err != nil || key != s.key {
			t.Fatalf("envelope %d: key %q, err %v; want %q", i, key, err, s.key)
		}
		for n := 0; n < len(body); n++ {
			t.Run(strconv.Itoa(i)+"/"+strconv.Itoa(n), func(t *testing.T) {
				key, err := parse(core.OpGenerateAPIKey, 42, fuzzBase, 200, http.Header{}, body[:n], fuzzSecrets)
				if key != "" || err == nil {
					t.Fatalf("prefix of %d/%d bytes gave key %q, err %v: %s", n, len(body), key, err, body[:n])
				}
				var e *core.Error
				if !errors.As(err, &e) || e.Kind != core.ErrBadResponse || e.Outcome != core.OutcomeUnknown {
					t.Fatalf("prefix of %d/%d bytes: want a bad response with an unknown outcome, got %v", n, len(body), err)
				}
				checkREST(t, 200, body[:n], key, err)
			})
		}
	}
}
