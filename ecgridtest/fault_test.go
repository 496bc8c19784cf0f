package ecgridtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

func TestFault_RESTStatusAndCode(t *testing.T) {
	tests := map[string]struct {
		fault      ecgridtest.Fault
		status     int
		code       string
		retryAfter string
		rotated    bool
	}{
		"429 with Retry-After":     {ecgridtest.Fault{Status: 429, RetryAfter: "3"}, 429, "RateLimitExceeded", "3", false},
		"500 default code":         {ecgridtest.Fault{Status: 500}, 500, "InternalError", "", false},
		"503 explicit code":        {ecgridtest.Fault{Status: 503, RESTCode: "InternalError", Message: "down"}, 503, "InternalError", "", false},
		"code only derives status": {ecgridtest.Fault{RESTCode: "AccessDenied"}, 403, "AccessDenied", "", false},
		"500 after applying":       {ecgridtest.Fault{Status: 500, Apply: true}, 500, "InternalError", "", true},
		"401 without applying":     {ecgridtest.Fault{Status: 401}, 401, "InvalidAPIKey", "", false},
		"op filter matches rotate": {ecgridtest.Fault{Op: "GenerateAPIKey", Status: 502}, 502, "InternalError", "", false},
		"transport filter matches": {ecgridtest.Fault{Transport: "rest", Status: 400}, 400, "InvalidParameter", "", false},
		"unhandled":                {ecgridtest.Fault{Unhandled: true}, 500, "InternalError", "", false},
		"unhandled with status":    {ecgridtest.Fault{Unhandled: true, Status: 503, RetryAfter: "1"}, 503, "InternalError", "1", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
			c := client(t, 0)
			old := key(t, s, userID)
			s.Inject(tc.fault)
			r := restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(old))
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.True(t, r.JSON, "%s", r.Body)
			assert.False(t, r.Env.Success)
			assert.Equal(t, tc.code, r.Env.ErrorCode)
			assert.NotEmpty(t, r.Env.Message)
			if tc.fault.Message != "" {
				assert.Equal(t, tc.fault.Message, r.Env.Message)
			}
			assert.Equal(t, tc.retryAfter, r.Header.Get("Retry-After"))
			if tc.rotated {
				assert.NotEqual(t, old, key(t, s, userID))
				assert.Equal(t, 1, s.Rotations(userID))
			} else {
				assert.Equal(t, old, key(t, s, userID))
				assert.Zero(t, s.Rotations(userID))
			}
			assert.Zero(t, s.PendingFaults())
			// The next call is normal again.
			r = restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(key(t, s, userID)))
			assert.Equal(t, 200, r.Status)
		})
	}
}

func TestFault_AppliesBeforeAuthentication(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	s.Inject(ecgridtest.Fault{Status: 503})
	r := restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey("not-a-key-at-all"))
	assert.Equal(t, 503, r.Status)
	// Apply with a bad credential: the fault answers, nothing rotates.
	s.Inject(ecgridtest.Fault{Status: 500, Apply: true})
	r = restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey("not-a-key-at-all"))
	assert.Equal(t, 500, r.Status)
	assert.Zero(t, s.Rotations(userID))
}

func TestFault_NotConsumedByMalformedCalls(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	s.Inject(ecgridtest.Fault{Status: 503})
	assert.Equal(t, 404, restDo(t, c, http.MethodGet, s.URL+"/nope", nil).Status)
	assert.Equal(t, 405, restDo(t, c, http.MethodPut, s.URL+"/v2/users/key/2", nil).Status)
	for _, q := range []soapReq{
		{Version: "1.1", Op: "GenerateAPIKey", SessionID: "x", UserID: "2", Action: ptr("Other")},
		{Version: "1.2", Op: "GenerateAPIKey", SessionID: "x", UserID: "2", Action: ptr("https://os.ecgrid.io/Other")},
		{Version: "1.2", Op: "Other", SessionID: "x", UserID: "2", NoAction: true},
		{Version: "1.1", Op: "GenerateAPIKey", SessionID: "x", UserID: "two"},
		{Version: "1.1", Op: "GenerateAPIKey", SessionID: "x", UserID: "2", EnvNS: env12},
	} {
		r := soapDo(t, c, s.SOAPURL, q)
		assert.Equal(t, 500, r.Status)
		assert.NotContains(t, string(r.Body), "ECGridOSSOAPErrorCode", "%s", r.Body)
	}
	for _, q := range []soapReq{
		{Version: "1.1", Op: "GenerateAPIKey", Body: "<x"},
		{Version: "1.2", Op: "GenerateAPIKey", SessionID: "x", UserID: "2", EnvNS: env11},
	} {
		r := soapDo(t, c, s.SOAPURL, q)
		assert.Contains(t, []int{400, 415}, r.Status)
	}
	assert.Equal(t, 1, s.PendingFaults())
}

func TestFault_MatchingAndFIFO(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	uk := key(t, s, userID)
	s.Inject(ecgridtest.Fault{Transport: "soap", Status: 500, SOAPCode: "SystemError"})
	s.Inject(ecgridtest.Fault{Op: "GetAPIKey", Status: 429})
	s.Inject(ecgridtest.Fault{Status: 503})
	s.Inject(ecgridtest.Fault{Status: 502})

	// REST rotate skips the soap-only and GetAPIKey-only faults: takes 503.
	assert.Equal(t, 503, restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(uk)).Status)
	// REST read takes the GetAPIKey fault (older than 502).
	assert.Equal(t, 429, restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk)).Status)
	// SOAP takes the soap fault.
	r := soapDo(t, c, s.SOAPURL, soapReq{Version: "1.2", Op: "UserGetAPIKey", SessionID: uk, UserID: "2"})
	assert.Equal(t, 500, r.Status)
	assert.Equal(t, "SystemError", r.Fields["ECGridOSSOAPErrorCode"])
	assert.Equal(t, "soap:Receiver", r.Fields["Value"])
	// Then 502, then normal.
	assert.Equal(t, 502, restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk)).Status)
	assert.Equal(t, 200, restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk)).Status)
	assert.Zero(t, s.PendingFaults())
}

func TestFault_Times(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	uk := key(t, s, userID)
	s.Inject(ecgridtest.Fault{Times: 3, Status: 503, RetryAfter: "1"})
	for i := range 3 {
		r := restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk))
		assert.Equal(t, 503, r.Status, "call %d", i)
		assert.Equal(t, "1", r.Header.Get("Retry-After"))
	}
	assert.Equal(t, 200, restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk)).Status)
}

func TestFault_SOAP(t *testing.T) {
	tests := map[string]struct {
		fault   ecgridtest.Fault
		status  int
		client  bool
		code    string
		msg     string
		rotated bool
	}{
		"named code":               {ecgridtest.Fault{FaultCode: "Client", SOAPCode: "Authentication", Message: "Invalid Session ID"}, 500, true, "Authentication", "Invalid Session ID", false},
		"numeric code":             {ecgridtest.Fault{FaultCode: "Server", SOAPCode: "5"}, 500, false, "5", "", false},
		"status only":              {ecgridtest.Fault{Status: 503}, 503, false, "SystemError", "", false},
		"401 derives Auth":         {ecgridtest.Fault{Status: 401}, 401, true, "Authentication", "", false},
		"REST code maps":           {ecgridtest.Fault{RESTCode: "AccessDenied"}, 500, true, "Authorization", "", false},
		"server fault after apply": {ecgridtest.Fault{SOAPCode: "SystemError", Apply: true}, 500, false, "SystemError", "", true},
		"escaped message":          {ecgridtest.Fault{FaultCode: "soap:Client", SOAPCode: "InvalidParameter", Message: `a<b & "c"`}, 500, true, "InvalidParameter", `a<b & "c"`, false},
		"unhandled":                {ecgridtest.Fault{Unhandled: true}, 500, false, "", "Server was unable to process request. ---> Injected server error.", false},
		"unhandled ignores code":   {ecgridtest.Fault{Unhandled: true, SOAPCode: "SystemError", Message: "boom"}, 500, false, "", "Server was unable to process request. ---> boom", false},
		"unhandled after apply":    {ecgridtest.Fault{Unhandled: true, Apply: true, Status: 503}, 503, false, "", "", true},
	}
	for name, tc := range tests {
		for _, v := range []string{"1.1", "1.2"} {
			t.Run(name+" "+v, func(t *testing.T) {
				s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
				c := client(t, 0)
				old := key(t, s, userID)
				f := tc.fault
				f.Transport = "soap"
				s.Inject(f)
				r := soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "GenerateAPIKey", SessionID: old, UserID: "2"})
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				assertFault(t, r, s.SOAPURL, v, tc.client, tc.code)
				if tc.msg != "" {
					if v == "1.1" {
						assert.Equal(t, tc.msg, r.Fields["faultstring"])
					} else {
						assert.Equal(t, tc.msg, r.Fields["Text"])
					}
				}
				assert.Equal(t, tc.rotated, old != key(t, s, userID))
			})
		}
	}
}

func TestFault_Delay(t *testing.T) {
	t.Run("client timeout stops the handler", func(t *testing.T) {
		s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
		c := client(t, 100*time.Millisecond)
		old := key(t, s, userID)
		s.Inject(ecgridtest.Fault{Delay: 10 * time.Second})
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/users/key-generate/2", nil)
		req.Header.Set("X-API-Key", old)
		start := time.Now()
		_, err := c.Do(req)
		require.Error(t, err)
		var ne interface{ Timeout() bool }
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
		assert.Less(t, time.Since(start), 5*time.Second)
		// Not applied: the handler gave up with the client.
		time.Sleep(50 * time.Millisecond)
		assert.Equal(t, old, key(t, s, userID))
	})
	t.Run("applied before the delay", func(t *testing.T) {
		s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
		c := client(t, 100*time.Millisecond)
		old := key(t, s, userID)
		s.Inject(ecgridtest.Fault{Delay: 10 * time.Second, Apply: true})
		_, err := soapDoErr(c, s.SOAPURL, soapReq{Version: "1.1", Op: "GenerateAPIKey", SessionID: old, UserID: "2"})
		require.Error(t, err)
		assert.NotEqual(t, old, key(t, s, userID))
		assert.Equal(t, 1, s.Rotations(userID))
	})
	t.Run("short delay then normal answer", func(t *testing.T) {
		s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
		c := client(t, 5*time.Second)
		s.Inject(ecgridtest.Fault{Delay: 100 * time.Millisecond})
		start := time.Now()
		r := restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(key(t, s, userID)))
		assert.Equal(t, 200, r.Status)
		assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	})
	t.Run("Close ends a delayed handler", func(t *testing.T) {
		s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 1}))
		c := client(t, 0)
		s.Inject(ecgridtest.Fault{Delay: time.Hour})
		done := make(chan error, 1)
		go func() {
			resp, err := c.Get(s.URL + "/v2/users/key/1")
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, 5*time.Millisecond)
		start := time.Now()
		s.Close()
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Error(t, <-done)
	})
}

func soapDoErr(c *http.Client, url string, q soapReq) (*http.Response, error) {
	body, ct, action := q.build()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("SOAPAction", `"`+action+`"`)
	resp, err := c.Do(req)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestFault_Drop(t *testing.T) {
	for _, transport := range []string{"rest", "soap"} {
		for name, mode := range map[string]ecgridtest.DropMode{"before": ecgridtest.DropBeforeApply, "after": ecgridtest.DropAfterApply} {
			t.Run(transport+" "+name, func(t *testing.T) {
				s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
				c := client(t, 5*time.Second)
				old := key(t, s, userID)
				s.Inject(ecgridtest.Fault{Drop: mode, Apply: true})
				var err error
				if transport == "rest" {
					req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/users/key-generate/2", nil)
					req.Header.Set("X-API-Key", old)
					var resp *http.Response
					resp, err = c.Do(req)
					if err == nil {
						resp.Body.Close()
					}
				} else {
					_, err = soapDoErr(c, s.SOAPURL, soapReq{Version: "1.1", Op: "GenerateAPIKey", SessionID: old, UserID: "2"})
				}
				require.Error(t, err)
				assert.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF") ||
					strings.Contains(err.Error(), "reset"), "%v", err)
				if mode == ecgridtest.DropAfterApply {
					assert.NotEqual(t, old, key(t, s, userID))
					assert.Equal(t, 1, s.Rotations(userID))
				} else {
					assert.Equal(t, old, key(t, s, userID))
					assert.Zero(t, s.Rotations(userID))
				}
				require.Len(t, s.Requests(), 1)
			})
		}
	}
}

func TestFault_Truncate(t *testing.T) {
	for _, transport := range []string{"rest", "soap1.1", "soap1.2"} {
		for _, apply := range []bool{false, true} {
			t.Run(transport+" apply="+strconv.FormatBool(apply), func(t *testing.T) {
				s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
				c := client(t, 5*time.Second)
				old := key(t, s, userID)
				s.Inject(ecgridtest.Fault{Truncate: true, Apply: apply})
				var req *http.Request
				if transport == "rest" {
					req, _ = http.NewRequest(http.MethodPost, s.URL+"/v2/users/key-generate/2", nil)
					req.Header.Set("X-API-Key", old)
				} else {
					q := soapReq{Version: strings.TrimPrefix(transport, "soap"), Op: "GenerateAPIKey", SessionID: old, UserID: "2"}
					body, ct, action := q.build()
					req, _ = http.NewRequest(http.MethodPost, s.SOAPURL, strings.NewReader(body))
					req.Header.Set("Content-Type", ct)
					req.Header.Set("SOAPAction", action)
				}
				resp, err := c.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				assert.Equal(t, 200, resp.StatusCode)
				require.Positive(t, resp.ContentLength)
				got, err := io.ReadAll(resp.Body)
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
				assert.Equal(t, int(resp.ContentLength)/2, len(got))
				assert.Equal(t, apply, old != key(t, s, userID))
			})
		}
	}
}

// TestFault_TruncateHeaders: the truncated answer's head carries the headers
// of a whole answer, Retry-After included.
func TestFault_TruncateHeaders(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead())
	c := client(t, 5*time.Second)
	old := key(t, s, userID)
	s.Inject(ecgridtest.Fault{Truncate: true, RetryAfter: "7"})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/v2/users/key/2", nil)
	req.Header.Set("X-API-Key", old)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "7", resp.Header.Get("Retry-After"))
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Len(t, resp.Header.Values("Content-Length"), 1)
}

func TestFault_Oversize(t *testing.T) {
	const n = 3 << 19
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 10*time.Second)
	uk := key(t, s, userID)
	s.Inject(ecgridtest.Fault{Transport: "rest", Oversize: n})
	r := restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk))
	assert.Equal(t, 200, r.Status)
	assert.Len(t, r.Body, n)
	assert.True(t, r.JSON, "the oversize REST body is valid JSON")
	assert.True(t, r.Env.Success)

	s.Inject(ecgridtest.Fault{Transport: "soap", Oversize: n})
	sr := soapDo(t, c, s.SOAPURL, soapReq{Version: "1.2", Op: "UserGetAPIKey", SessionID: uk, UserID: "2"})
	assert.Equal(t, 200, sr.Status)
	assert.Len(t, sr.Body, n)
	assert.Greater(t, len(sr.Fields["UserGetAPIKeyResult"]), n-1000, "the huge key fills the body")

	s.Inject(ecgridtest.Fault{Oversize: 10})
	r = restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk))
	assert.Equal(t, "          ", string(r.Body))
}

func TestFault_EmptyKey(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	old := key(t, s, userID)
	s.Inject(ecgridtest.Fault{EmptyKey: true, Times: 3})
	r := restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(old))
	assert.Equal(t, 200, r.Status)
	assert.True(t, r.Env.Success)
	require.NotNil(t, r.Env.Data)
	assert.Empty(t, *r.Env.Data)
	for _, v := range []string{"1.1", "1.2"} {
		sr := soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "GenerateAPIKey", SessionID: old, UserID: "2"})
		assert.Equal(t, 200, sr.Status)
		res, ok := sr.Fields["GenerateAPIKeyResult"]
		assert.True(t, ok, "%s", sr.Body)
		assert.Empty(t, res)
	}
	assert.Equal(t, old, key(t, s, userID))

	s.Inject(ecgridtest.Fault{EmptyKey: true, Apply: true})
	restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(old))
	assert.NotEqual(t, old, key(t, s, userID))
}

func TestFault_SuccessFalse(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	uk := key(t, s, userID)
	s.Inject(ecgridtest.Fault{SuccessFalse: true, RESTCode: "InvalidAPIKey", Message: "nope"})
	r := restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(uk))
	assert.Equal(t, 200, r.Status)
	require.True(t, r.JSON)
	assert.False(t, r.Env.Success)
	assert.Equal(t, "InvalidAPIKey", r.Env.ErrorCode)
	assert.Equal(t, "nope", r.Env.Message)

	s.Inject(ecgridtest.Fault{SuccessFalse: true})
	r = restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(uk))
	assert.Equal(t, "InternalError", r.Env.ErrorCode)

	s.Inject(ecgridtest.Fault{SuccessFalse: true})
	sr := soapDo(t, c, s.SOAPURL, soapReq{Version: "1.1", Op: "GenerateAPIKey", SessionID: uk, UserID: "2"})
	assert.Equal(t, 200, sr.Status)
	assertFault(t, sr, s.SOAPURL, "1.1", false, "SystemError")
	assert.Equal(t, uk, key(t, s, userID))
}

func TestFault_HTML(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	uk := key(t, s, userID)
	s.Inject(ecgridtest.Fault{HTML: true})
	r := restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(uk))
	assert.Equal(t, 502, r.Status)
	assert.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Contains(t, string(r.Body), "<html>")
	assert.False(t, r.JSON)

	s.Inject(ecgridtest.Fault{HTML: true, Status: 504, Message: "<gateway>"})
	sr, err := soapDoErr(c, s.SOAPURL, soapReq{Version: "1.1", Op: "GenerateAPIKey", SessionID: uk, UserID: "2"})
	require.NoError(t, err)
	assert.Equal(t, 504, sr.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", sr.Header.Get("Content-Type"))
	assert.Equal(t, uk, key(t, s, userID))
}

func TestFault_RedirectTo(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	uk := key(t, s, userID)
	s.Inject(ecgridtest.Fault{RedirectTo: "http://evil.example"})
	r := restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(uk))
	assert.Equal(t, http.StatusTemporaryRedirect, r.Status)
	assert.Equal(t, "http://evil.example/v2/users/key-generate/2", r.Header.Get("Location"))

	s.Inject(ecgridtest.Fault{RedirectTo: "http://evil.example"})
	sr, err := soapDoErr(c, s.SOAPURL, soapReq{Version: "1.2", Op: "GenerateAPIKey", SessionID: uk, UserID: "2"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusTemporaryRedirect, sr.StatusCode)
	assert.Equal(t, "http://evil.example/v4.1/prod/ECGridOS.asmx", sr.Header.Get("Location"))
	assert.Zero(t, s.Rotations(userID))
}

func TestFault_ContextCancelledClient(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	s.Inject(ecgridtest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/v2/users/key/2", nil)
	_, err := c.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestFault_ForeverRemoveAndClear(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 0)
	uk := key(t, s, userID)
	get := func() int { return restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk)).Status }

	// A Forever fault answers every matching call and hides later faults it matches.
	removeForever := s.Inject(ecgridtest.Fault{Times: ecgridtest.Forever, Op: "GetAPIKey", Status: 503})
	s.Inject(ecgridtest.Fault{Op: "GetAPIKey", Status: 502})
	for i := range 5 {
		assert.Equal(t, 503, get(), "call %d", i)
	}
	assert.Equal(t, 2, s.PendingFaults())
	// It does not match other operations.
	assert.Equal(t, 200, restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(uk)).Status)
	uk = key(t, s, userID)

	// Removing it uncovers the next fault; removing twice is harmless.
	removeForever()
	removeForever()
	assert.Equal(t, 1, s.PendingFaults())
	assert.Equal(t, 502, get())
	assert.Equal(t, 200, get())

	// Removing a used-up fault does nothing to the others.
	removeUsed := s.Inject(ecgridtest.Fault{Status: 500})
	assert.Equal(t, 500, get())
	s.Inject(ecgridtest.Fault{Status: 429})
	removeUsed()
	assert.Equal(t, 1, s.PendingFaults())
	assert.Equal(t, 429, get())

	// Removing a fault with uses left, among others.
	s.Inject(ecgridtest.Fault{Status: 501})
	removeMiddle := s.Inject(ecgridtest.Fault{Times: 3, Status: 502})
	s.Inject(ecgridtest.Fault{Status: 503})
	removeMiddle()
	assert.Equal(t, 501, get())
	assert.Equal(t, 503, get())
	assert.Equal(t, 200, get())

	// ClearFaults removes everything, Forever faults included.
	s.Inject(ecgridtest.Fault{Times: ecgridtest.Forever, Status: 503})
	s.Inject(ecgridtest.Fault{Times: 10, Status: 502})
	s.ClearFaults()
	assert.Zero(t, s.PendingFaults())
	assert.Equal(t, 200, get())
}

// TestFault_ForeverConcurrent uses a Forever fault from many goroutines while
// it is removed: no call fails other than by the fault, and once removed it
// answers no more.
func TestFault_ForeverConcurrent(t *testing.T) {
	s := setup(t, ecgridtest.WithSelfKeyRead()) // fault tests read the user's own key
	c := client(t, 10*time.Second)
	uk := key(t, s, userID)
	remove := s.Inject(ecgridtest.Fault{Times: ecgridtest.Forever, Status: 503})
	errs := make(chan error, 40)
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := restTry(c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk))
			if err != nil || (r.Status != 503 && r.Status != 200) {
				errs <- fmt.Errorf("%v %d", err, r.Status)
			}
		}()
	}
	remove()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Zero(t, s.PendingFaults())
	assert.Equal(t, 200, restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk)).Status)
}
