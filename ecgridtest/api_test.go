package ecgridtest_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

func TestREST_Success(t *testing.T) {
	tests := map[string]struct {
		method   string
		route    string
		target   int
		caller   int
		useBear  bool
		session  bool
		rotates  bool
		wantSame bool // answer equals the target's key before the call
		selfRead bool // WithSelfKeyRead
	}{
		"rotate self with X-API-Key":      {method: http.MethodPost, route: "key-generate", target: userID, caller: userID, rotates: true},
		"read self with X-API-Key":        {method: http.MethodGet, route: "key", target: userID, caller: userID, wantSame: true, selfRead: true},
		"admin reads self":                {method: http.MethodGet, route: "key", target: adminID, caller: adminID, wantSame: true},
		"admin rotates other":             {method: http.MethodPost, route: "key-generate", target: otherID, caller: adminID, rotates: true},
		"admin reads other":               {method: http.MethodGet, route: "key", target: otherID, caller: adminID, wantSame: true},
		"root reads admin":                {method: http.MethodGet, route: "key", target: adminID, caller: rootID, wantSame: true},
		"rotate self with bearer key":     {method: http.MethodPost, route: "key-generate", target: userID, caller: userID, useBear: true, rotates: true},
		"read self with bearer session":   {method: http.MethodGet, route: "key", target: userID, caller: userID, useBear: true, session: true, wantSame: true, selfRead: true},
		"rotate self with bearer session": {method: http.MethodPost, route: "key-generate", target: userID, caller: userID, useBear: true, session: true, rotates: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var opts []ecgridtest.Option
			if tc.selfRead {
				opts = append(opts, ecgridtest.WithSelfKeyRead())
			}
			s := setup(t, opts...)
			c := client(t, 0)
			before := key(t, s, tc.target)
			cred := key(t, s, tc.caller)
			if tc.session {
				cred = session2
			}
			hdr := apiKey(cred)
			if tc.useBear {
				hdr = bearer(cred)
			}
			r := restDo(t, c, tc.method, s.URL+"/v2/users/"+tc.route+"/"+itoa(tc.target), hdr)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
			require.True(t, r.JSON, "%s", r.Body)
			assert.True(t, r.Env.Success)
			assert.Empty(t, r.Env.ErrorCode)
			require.NotNil(t, r.Env.Data)
			assert.Regexp(t, guidShape, *r.Env.Data)
			after := key(t, s, tc.target)
			assert.Equal(t, after, *r.Env.Data)
			if tc.rotates {
				assert.NotEqual(t, before, after)
				assert.Equal(t, 1, s.Rotations(tc.target))
			} else {
				assert.Equal(t, before, after)
				assert.Equal(t, 0, s.Rotations(tc.target))
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestREST_Errors(t *testing.T) {
	s := setup(t)
	c := client(t, 0)
	uk, ak := key(t, s, userID), key(t, s, adminID)
	tests := map[string]struct {
		method string
		path   string
		hdr    map[string]string
		status int
		code   string // "" = no envelope expected
	}{
		"no credential":                {http.MethodPost, "/v2/users/key-generate/2", nil, 401, "InvalidAPIKey"},
		"unknown key":                  {http.MethodGet, "/v2/users/key/2", apiKey("nope-nope-nope-nope"), 401, "InvalidAPIKey"},
		"session is not an API key":    {http.MethodGet, "/v2/users/key/2", apiKey(session2), 401, "InvalidAPIKey"},
		"bad bearer":                   {http.MethodGet, "/v2/users/key/2", bearer("expired-token-123456"), 401, "InvalidSession"},
		"basic auth":                   {http.MethodGet, "/v2/users/key/2", map[string]string{"Authorization": "Basic " + uk}, 401, "InvalidAPIKey"},
		"user reads other":             {http.MethodGet, "/v2/users/key/3", apiKey(uk), 403, "AccessDenied"},
		"user reads self":              {http.MethodGet, "/v2/users/key/2", apiKey(uk), 403, "AccessDenied"},
		"user reads self by session":   {http.MethodGet, "/v2/users/key/2", bearer(session2), 403, "AccessDenied"},
		"user rotates other":           {http.MethodPost, "/v2/users/key-generate/1", apiKey(uk), 403, "AccessDenied"},
		"user asks other unknown user": {http.MethodGet, "/v2/users/key/999", apiKey(uk), 403, "AccessDenied"},
		"admin asks unknown user":      {http.MethodGet, "/v2/users/key/999", apiKey(ak), 404, "ObjectNotFound"},
		"admin rotates unknown user":   {http.MethodPost, "/v2/users/key-generate/999", apiKey(ak), 404, "ObjectNotFound"},
		"id not a number":              {http.MethodGet, "/v2/users/key/abc", apiKey(ak), 400, "InvalidParameter"},
		"id zero":                      {http.MethodGet, "/v2/users/key/0", apiKey(ak), 400, "InvalidParameter"},
		"id negative":                  {http.MethodPost, "/v2/users/key-generate/-2", apiKey(ak), 400, "InvalidParameter"},
		"id beyond int32":              {http.MethodGet, "/v2/users/key/2147483648", apiKey(ak), 400, "InvalidParameter"},
		"id with plus":                 {http.MethodGet, "/v2/users/key/+2", apiKey(ak), 400, "InvalidParameter"},
		"bad credential before bad id": {http.MethodGet, "/v2/users/key/abc", apiKey("nope-nope-nope-nope"), 401, "InvalidAPIKey"},
		"GET on rotate route":          {http.MethodGet, "/v2/users/key-generate/2", apiKey(uk), 405, ""},
		"POST on read route":           {http.MethodPost, "/v2/users/key/2", apiKey(uk), 405, ""},
		"unknown route":                {http.MethodGet, "/v2/users/2", apiKey(uk), 404, ""},
		"route without id":             {http.MethodGet, "/v2/users/key/", apiKey(uk), 404, ""},
		"route with extra segment":     {http.MethodPost, "/v2/users/key-generate/2/x", apiKey(uk), 404, ""},
		"v1 route":                     {http.MethodPost, "/v1/users/key-generate/2", apiKey(uk), 404, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := restDo(t, c, tc.method, s.URL+tc.path, tc.hdr)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			if tc.code == "" {
				assert.False(t, r.JSON, "no envelope expected: %s", r.Body)
				assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain"), r.Header.Get("Content-Type"))
				if tc.status == 405 {
					assert.NotEmpty(t, r.Header.Get("Allow"))
				}
				return
			}
			require.True(t, r.JSON, "%s", r.Body)
			assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
			assert.False(t, r.Env.Success)
			assert.Nil(t, r.Env.Data)
			assert.Equal(t, tc.code, r.Env.ErrorCode)
			assert.NotEmpty(t, r.Env.Message)
			assert.Contains(t, string(r.Body), `"data":null`)
		})
	}
	for _, id := range []int{adminID, userID, otherID, rootID} {
		assert.Zero(t, s.Rotations(id), "user %d", id)
	}
	assert.Equal(t, uk, key(t, s, userID))
}

func TestREST_HeaderNameCaseInsensitive(t *testing.T) {
	s := setup(t)
	c := client(t, 0)
	uk := key(t, s, adminID)
	for _, h := range []string{"X-API-Key", "x-api-key", "X-Api-Key"} {
		r := restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", map[string]string{h: uk})
		assert.Equal(t, http.StatusOK, r.Status, h)
	}
}

func TestREST_BodyLimit(t *testing.T) {
	s := setup(t)
	c := client(t, 0)
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v2/users/key-generate/2", strings.NewReader(strings.Repeat("x", ecgridtest.MaxRequestBody+1)))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", key(t, s, userID))
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Zero(t, s.Rotations(userID))
}

func TestRotationInvalidatesOldKeyOnBothAPIs(t *testing.T) {
	for _, via := range []string{"rest", "soap1.1", "soap1.2"} {
		t.Run(via, func(t *testing.T) {
			s := setup(t, ecgridtest.WithSelfKeyRead())
			c := client(t, 0)
			old := key(t, s, userID)
			var fresh string
			switch via {
			case "rest":
				r := restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(old))
				require.Equal(t, 200, r.Status)
				fresh = *r.Env.Data
			default:
				r := soapDo(t, c, s.SOAPURL, soapReq{Version: strings.TrimPrefix(via, "soap"), Op: "GenerateAPIKey", SessionID: old, UserID: "2"})
				require.Equal(t, 200, r.Status, "%s", r.Body)
				fresh = r.Fields["GenerateAPIKeyResult"]
			}
			require.NotEqual(t, old, fresh)
			require.Equal(t, fresh, key(t, s, userID))

			// Old key rejected everywhere.
			assert.Equal(t, "InvalidAPIKey", restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(old)).Env.ErrorCode)
			assert.Equal(t, "InvalidSession", restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", bearer(old)).Env.ErrorCode)
			for _, v := range []string{"1.1", "1.2"} {
				r := soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "UserGetAPIKey", SessionID: old, UserID: "2"})
				assert.Equal(t, 500, r.Status)
				assert.Equal(t, "Authentication", r.Fields["ECGridOSSOAPErrorCode"])
			}
			// New key and the session work.
			r := restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(fresh))
			assert.Equal(t, fresh, *r.Env.Data)
			r = restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", bearer(session2))
			assert.Equal(t, fresh, *r.Env.Data)
			sr := soapDo(t, c, s.SOAPURL, soapReq{Version: "1.1", Op: "UserGetAPIKey", SessionID: session2, UserID: "2"})
			assert.Equal(t, fresh, sr.Fields["UserGetAPIKeyResult"])
			assert.Equal(t, 1, s.Rotations(userID))
		})
	}
}

func TestWSDL(t *testing.T) {
	wsdl := []byte(`<?xml version="1.0"?><definitions/>`)
	s := setup(t, ecgridtest.WithWSDL(wsdl))
	c := client(t, 0)
	for _, q := range []string{"?WSDL", "?wsdl", "?Wsdl"} {
		r := restDo(t, c, http.MethodGet, s.SOAPURL+q, nil)
		assert.Equal(t, 200, r.Status, q)
		assert.Equal(t, wsdl, r.Body, q)
		assert.Contains(t, r.Header.Get("Content-Type"), "xml")
	}
	s2 := setup(t, ecgridtest.WithWSDL(nil))
	r := restDo(t, c, http.MethodGet, s2.SOAPURL+"?WSDL", nil)
	assert.Equal(t, 404, r.Status)
}

// TestWSDLGiven: an empty WSDL is none (404), and the server serves what
// the bytes held at Start, whatever the caller does with them afterwards.
func TestWSDLGiven(t *testing.T) {
	c := client(t, 0)
	s := setup(t, ecgridtest.WithWSDL([]byte{}))
	r := restDo(t, c, http.MethodGet, s.SOAPURL+"?WSDL", nil)
	assert.Equal(t, 404, r.Status)

	wsdl := []byte(`<definitions/>`)
	s2 := setup(t, ecgridtest.WithWSDL(wsdl))
	copy(wsdl, "<xxxxxxxxxxx/>")
	r = restDo(t, c, http.MethodGet, s2.SOAPURL+"?WSDL", nil)
	assert.Equal(t, 200, r.Status)
	assert.Equal(t, `<definitions/>`, string(r.Body))
}

// TestWSDLDefault checks the fake serves the SDK's WSDL unless told
// otherwise, pointing at itself.
func TestWSDLDefault(t *testing.T) {
	s := setup(t)
	r := restDo(t, client(t, 0), http.MethodGet, s.SOAPURL+"?WSDL", nil)
	require.Equal(t, 200, r.Status)
	assert.Contains(t, string(r.Body), `name="ECGridOS"`)
	assert.Contains(t, string(r.Body), `location="`+s.SOAPURL+`"`)
	assert.NotContains(t, string(r.Body), "https://os.ecgrid.io/v4.1")
}

// TestWSDLAddressRewritten checks the port addresses point at the fake, as
// ASMX points them at the host that served the WSDL.
func TestWSDLAddressRewritten(t *testing.T) {
	wsdl := []byte(`<definitions><service><port><soap:address location="https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx" /></port>` +
		`<port><soap12:address  location="https://os.ecgrid.io/x" /></port></service></definitions>`)
	s := setup(t, ecgridtest.WithWSDL(wsdl))
	r := restDo(t, client(t, 0), http.MethodGet, s.SOAPURL+"?wsdl", nil)
	require.Equal(t, 200, r.Status)
	body := string(r.Body)
	assert.NotContains(t, body, "os.ecgrid.io")
	assert.Equal(t, 2, strings.Count(body, `location="`+s.SOAPURL+`"`), body)
}

func TestBasePath(t *testing.T) {
	s := setup(t, ecgridtest.WithBasePath("/mount/"))
	c := client(t, 0)
	require.True(t, strings.HasSuffix(s.URL, "/mount"), s.URL)
	assert.Equal(t, s.URL+"/v4.1/prod/ECGridOS.asmx", s.SOAPURL)
	uk := key(t, s, adminID)
	assert.Equal(t, 200, restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk)).Status)
	root := strings.TrimSuffix(s.URL, "/mount")
	r := restDo(t, c, http.MethodGet, root+"/v2/users/key/2", apiKey(uk))
	assert.Equal(t, 404, r.Status)
	assert.False(t, r.JSON)
	assert.Equal(t, 200, soapDo(t, c, s.SOAPURL, soapReq{Version: "1.2", Op: "UserGetAPIKey", SessionID: uk, UserID: "2"}).Status)
}

// TestWSDLAddressRewriteCases pins which attributes the rewrite touches: the
// location right after a prefixed address element's name, nothing else.
func TestWSDLAddressRewriteCases(t *testing.T) {
	const at = "@SOAPURL@"
	tests := map[string]struct{ in, want string }{
		"soap address":          {`<soap:address location="https://x/y"/>`, `<soap:address location="@SOAPURL@"/>`},
		"two, with new lines":   {"<a:address\n location=\"1\"/><b_2.c-d:address\tlocation=\"2\"/>", "<a:address\n location=\"@SOAPURL@\"/><b_2.c-d:address\tlocation=\"@SOAPURL@\"/>"},
		"empty location":        {`<soap12:address location=""/>`, `<soap12:address location="@SOAPURL@"/>`},
		"unprefixed element":    {`<address location="1"/>`, `<address location="1"/>`},
		"not right after name":  {`<soap:address id="a" location="1"/>`, `<soap:address id="a" location="1"/>`},
		"no space before attr":  {`<soap:addresslocation="1"/>`, `<soap:addresslocation="1"/>`},
		"in text, not a tag":    {`see soap:address location="1"`, `see soap:address location="1"`},
		"prefix starts a digit": {`<1:address location="1"/>`, `<1:address location="1"/>`},
		"unterminated value":    {`<soap:address location="1`, `<soap:address location="1`},
		"nothing to rewrite":    {`<definitions/>`, `<definitions/>`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := setup(t, ecgridtest.WithWSDL([]byte(tc.in)))
			r := restDo(t, client(t, 0), http.MethodGet, s.SOAPURL+"?wsdl", nil)
			require.Equal(t, 200, r.Status)
			assert.Equal(t, strings.ReplaceAll(tc.want, at, s.SOAPURL), string(r.Body))
		})
	}
}

// TestKeyReadRule checks who may read and rotate a key, on both APIs, by
// default (the vendor's REST reference: reading needs NetworkAdmin or higher)
// and with WithSelfKeyRead.
func TestKeyReadRule(t *testing.T) {
	tests := map[string]struct {
		selfRead       bool
		op             string // GetAPIKey or GenerateAPIKey
		caller, target int
		session        bool
		ok             bool
	}{
		"user reads self":                  {op: "GetAPIKey", caller: userID, target: userID},
		"user reads self by session":       {op: "GetAPIKey", caller: userID, target: userID, session: true},
		"user reads other":                 {op: "GetAPIKey", caller: userID, target: otherID},
		"user rotates self":                {op: "GenerateAPIKey", caller: userID, target: userID, ok: true},
		"user rotates other":               {op: "GenerateAPIKey", caller: userID, target: otherID},
		"admin reads self":                 {op: "GetAPIKey", caller: adminID, target: adminID, ok: true},
		"admin reads other":                {op: "GetAPIKey", caller: adminID, target: userID, ok: true},
		"admin rotates other":              {op: "GenerateAPIKey", caller: adminID, target: rootID, ok: true},
		"root reads self":                  {op: "GetAPIKey", caller: rootID, target: rootID, ok: true},
		"self read: user reads self":       {selfRead: true, op: "GetAPIKey", caller: userID, target: userID, ok: true},
		"self read: by session":            {selfRead: true, op: "GetAPIKey", caller: userID, target: userID, session: true, ok: true},
		"self read: user reads other":      {selfRead: true, op: "GetAPIKey", caller: userID, target: otherID},
		"self read: user rotates other":    {selfRead: true, op: "GenerateAPIKey", caller: userID, target: otherID},
		"self read: admin still reads all": {selfRead: true, op: "GetAPIKey", caller: adminID, target: otherID, ok: true},
	}
	for name, tc := range tests {
		for _, via := range []string{"rest", "soap1.1", "soap1.2"} {
			t.Run(name+" "+via, func(t *testing.T) {
				var opts []ecgridtest.Option
				if tc.selfRead {
					opts = append(opts, ecgridtest.WithSelfKeyRead())
				}
				s := setup(t, opts...)
				c := client(t, 0)
				cred := key(t, s, tc.caller)
				if tc.session {
					cred = session2
				}
				before := key(t, s, tc.target)
				var status int
				var got, code string
				if via == "rest" {
					route, method, hdr := "/v2/users/key/", http.MethodGet, apiKey(cred)
					if tc.op == "GenerateAPIKey" {
						route, method = "/v2/users/key-generate/", http.MethodPost
					}
					if tc.session {
						hdr = bearer(cred)
					}
					r := restDo(t, c, method, s.URL+route+itoa(tc.target), hdr)
					status, code = r.Status, r.Env.ErrorCode
					if r.Env.Data != nil {
						got = *r.Env.Data
					}
				} else {
					elem := map[string]string{"GetAPIKey": "UserGetAPIKey", "GenerateAPIKey": "GenerateAPIKey"}[tc.op]
					r := soapDo(t, c, s.SOAPURL, soapReq{Version: strings.TrimPrefix(via, "soap"), Op: elem, SessionID: cred, UserID: itoa(tc.target)})
					status, code, got = r.Status, r.Fields["ECGridOSSOAPErrorCode"], r.Fields[elem+"Result"]
				}
				if !tc.ok {
					assert.Equal(t, map[bool]int{true: 403, false: 500}[via == "rest"], status)
					assert.Equal(t, map[bool]string{true: "AccessDenied", false: "Authorization"}[via == "rest"], code)
					assert.Equal(t, before, key(t, s, tc.target))
					return
				}
				require.Equal(t, 200, status)
				assert.Equal(t, key(t, s, tc.target), got)
				assert.Equal(t, tc.op == "GenerateAPIKey", got != before)
			})
		}
	}
}
