package ecgridtest_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

func TestRequests_LogAndMasking(t *testing.T) {
	const adminKey = "ADMIN-0000-1111-2222-333344445555"
	s := setup(t, ecgridtest.WithUser(ecgridtest.User{ID: 10, Level: ecgridtest.AuthLevelRoot, APIKey: adminKey}))
	c := client(t, 0)
	uk := key(t, s, userID)

	restDo(t, c, http.MethodPost, s.URL+"/v2/users/key-generate/2", apiKey(uk))
	fresh := key(t, s, userID)
	restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", bearer(session2))
	restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/2", map[string]string{"x-api-key": adminKey})
	soapDo(t, c, s.SOAPURL, soapReq{Version: "1.1", Op: "UserGetAPIKey", SessionID: fresh, UserID: "3"})
	soapDo(t, c, s.SOAPURL, soapReq{Version: "1.2", Op: "GenerateAPIKey", SessionID: adminKey, UserID: "x"})
	restDo(t, c, http.MethodGet, s.URL+"/unknown", nil)

	reqs := s.Requests()
	require.Len(t, reqs, 6)
	want := []struct {
		transport, op, method, path, ver string
		user                             int
	}{
		{"rest", "GenerateAPIKey", "POST", "/v2/users/key-generate/2", "", 2},
		{"rest", "GetAPIKey", "GET", "/v2/users/key/2", "", 2},
		{"rest", "GetAPIKey", "GET", "/v2/users/key/2", "", 2},
		{"soap", "GetAPIKey", "POST", "/v4.1/prod/ECGridOS.asmx", "1.1", 3},
		{"soap", "GenerateAPIKey", "POST", "/v4.1/prod/ECGridOS.asmx", "1.2", 0},
		{"", "", "GET", "/unknown", "", 0},
	}
	for i, w := range want {
		r := reqs[i]
		assert.Equal(t, w.transport, r.Transport, i)
		assert.Equal(t, w.op, r.Op, i)
		assert.Equal(t, w.method, r.Method, i)
		assert.Equal(t, w.path, r.Path, i)
		assert.Equal(t, w.ver, r.SOAPVersion, i)
		assert.Equal(t, w.user, r.UserID, i)
		assert.False(t, r.Time.IsZero())
	}
	assert.Equal(t, uk[:4]+"…", reqs[0].Credential)
	assert.Equal(t, uk[:4]+"…", reqs[0].Header.Get("X-API-Key"))
	assert.Equal(t, "Bearer "+session2[:4]+"…", reqs[1].Header.Get("Authorization"))
	assert.Equal(t, "ADMI…", reqs[2].Credential)
	assert.Equal(t, fresh[:4]+"…", reqs[3].Credential)
	assert.Equal(t, "", reqs[5].Credential)

	dump := fmt.Sprintf("%+v %#v %v", reqs, reqs, s.Requests())
	for _, secret := range []string{uk, fresh, adminKey, session2, key(t, s, adminID), key(t, s, otherID)} {
		assert.NotContains(t, dump, secret)
		assert.NotContains(t, s.String(), secret)
		assert.NotContains(t, fmt.Sprintf("%+v %#v %v", s, s, s), secret)
	}
	u := s.AddUser(ecgridtest.User{ID: 11})
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", u, u, u), u.APIKey)

	// The log is a copy.
	reqs[0].Header.Set("X-API-Key", "changed")
	assert.NotEqual(t, "changed", s.Requests()[0].Header.Get("X-API-Key"))

	s.ResetRequests()
	assert.Empty(t, s.Requests())
}

func TestServer_UsersAndSessions(t *testing.T) {
	s := ecgridtest.NewServer(ecgridtest.WithSelfKeyRead())
	defer s.Close()
	c := client(t, 0)

	u := s.AddUser(ecgridtest.User{ID: 5})
	assert.Regexp(t, guidShape, u.APIKey)
	k, ok := s.Key(5)
	assert.True(t, ok)
	assert.Equal(t, u.APIKey, k)
	_, ok = s.Key(6)
	assert.False(t, ok)
	assert.Zero(t, s.Rotations(6))

	fixed := s.AddUser(ecgridtest.User{ID: 6, APIKey: "fixed-key-for-user-six"})
	assert.Equal(t, "fixed-key-for-user-six", fixed.APIKey)
	assert.Panics(t, func() { s.AddUser(ecgridtest.User{ID: 7, APIKey: "fixed-key-for-user-six"}) })

	// A session added before its user exists starts working once the user does.
	s.AddSession(8, "session-for-eight-000000")
	r := restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/8", bearer("session-for-eight-000000"))
	assert.Equal(t, 401, r.Status)
	s.AddUser(ecgridtest.User{ID: 8})
	r = restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/8", bearer("session-for-eight-000000"))
	assert.Equal(t, 200, r.Status)

	// Replacing a user retires its old key.
	s.AddUser(ecgridtest.User{ID: 6})
	r = restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/6", apiKey("fixed-key-for-user-six"))
	assert.Equal(t, 401, r.Status)
}

func TestStart(t *testing.T) {
	_, err := ecgridtest.Start(ecgridtest.WithAddr("256.0.0.1:0"))
	assert.Error(t, err)
	_, err = ecgridtest.Start(
		ecgridtest.WithUser(ecgridtest.User{ID: 1, APIKey: "same-key-0123456789"}),
		ecgridtest.WithUser(ecgridtest.User{ID: 2, APIKey: "same-key-0123456789"}))
	assert.Error(t, err)
	assert.Panics(t, func() { ecgridtest.NewServer(ecgridtest.WithAddr("bad address")) })

	s, err := ecgridtest.Start(ecgridtest.WithAddr("127.0.0.1:0"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(s.URL, "http://127.0.0.1:"), s.URL)
	assert.Equal(t, s.URL+"/v4.1/prod/ECGridOS.asmx", s.SOAPURL)
	s.Close()
	s.Close() // idempotent
	_, err = http.Get(s.URL + "/v2/users/key/1")
	assert.Error(t, err)
}

func TestAccepted(t *testing.T) {
	s := setup(t)
	assert.Zero(t, s.Accepted())
	uk := key(t, s, adminID)
	fresh := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(fresh.CloseIdleConnections)
	for range 3 {
		restDo(t, &http.Client{Transport: fresh}, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk))
	}
	assert.Equal(t, 3, s.Accepted())

	keep := client(t, 0)
	for range 5 {
		restDo(t, keep, http.MethodGet, s.URL+"/v2/users/key/2", apiKey(uk))
	}
	assert.Equal(t, 4, s.Accepted())
}

func TestConcurrency(t *testing.T) {
	const workers, rounds = 50, 6
	opts := []ecgridtest.Option{ecgridtest.WithUser(ecgridtest.User{ID: 1000, Level: ecgridtest.AuthLevelNetworkAdmin})}
	for i := 1; i <= workers; i++ {
		opts = append(opts, ecgridtest.WithUser(ecgridtest.User{ID: i}))
	}
	s := ecgridtest.NewServer(opts...)
	defer s.Close()
	c := client(t, 30*time.Second)
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = 2 * workers
	admin := key(t, s, 1000)

	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for i := 1; i <= workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := strconv.Itoa(i)
			k, _ := s.Key(i)
			for r := range rounds {
				var next string
				if r%2 == 0 {
					resp, err := restTry(c, http.MethodPost, s.URL+"/v2/users/key-generate/"+id, apiKey(k))
					if err != nil || resp.Status != 200 || resp.Env.Data == nil {
						errs <- fmt.Errorf("user %d rest rotate: %v %d %s", i, err, resp.Status, resp.Body)
						return
					}
					next = *resp.Env.Data
				} else {
					v := []string{"1.1", "1.2"}[(i+r)%2]
					resp, err := soapTry(c, s.SOAPURL, soapReq{Version: v, Op: "GenerateAPIKey", SessionID: k, UserID: id})
					if err != nil || resp.Status != 200 {
						errs <- fmt.Errorf("user %d soap rotate: %v %d %s", i, err, resp.Status, resp.Body)
						return
					}
					next = resp.Fields["GenerateAPIKeyResult"]
				}
				// The old key is dead, the new one reads itself; the admin reads it too.
				if old, err := restTry(c, http.MethodGet, s.URL+"/v2/users/key/"+id, apiKey(k)); err != nil || old.Status != 401 {
					errs <- fmt.Errorf("user %d old key: %v %d", i, err, old.Status)
				}
				k = next
				got, err := restTry(c, http.MethodGet, s.URL+"/v2/users/key/"+id, apiKey(admin))
				if err != nil || got.Env.Data == nil || *got.Env.Data != k {
					errs <- fmt.Errorf("user %d admin read mismatch", i)
				}
				_ = s.Requests()
				_ = s.String()
			}
		}()
	}
	// Faults injected concurrently for an unrelated operation filter never match.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			s.Inject(ecgridtest.Fault{Transport: "soap", Op: "GetAPIKey", Status: 500})
			_ = s.Accepted()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 1; i <= workers; i++ {
		assert.Equal(t, rounds, s.Rotations(i), "user %d", i)
	}
	assert.Len(t, s.Requests(), workers*rounds*3)
	assert.Equal(t, 20, s.PendingFaults())
}

const initTraceEnv = "ECGRIDTEST_INITTRACE"

// TestNoInitCost re-executes the test binary with GODEBUG=inittrace=1 and checks
// that package ecgridtest does no work at init: the runtime prints a line only for
// packages with init work, so there must be none, or one with no allocation.
func TestNoInitCost(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", initTraceEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "init ", "the trace is printed at all")
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "init github.com/ecgridkit/ecgrid/ecgridtest @") {
			assert.Contains(t, line, " 0 bytes, 0 allocs", "importing ecgridtest costs: %s", line)
		}
	}
}
