// Tests of "ecgrid apikey generate" and "ecgrid apikey get", run as a
// process against ecgridtest servers over REST, SOAP 1.1 and SOAP 1.2.

package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// adminSession is the SOAP session seeded for user 1.
const adminSession = "admin-session-5f0c2a9e-7d41-4b3b-9a11"

// bogusKey is a credential the fake does not know.
const bogusKey = "00000000-1111-2222-3333-444444444444"

// Logins and passwords of the fixture's users 1 and 42.
const (
	adminLogin    = "admin"
	adminPassword = "pw-admin-Zq81xv" // #nosec G101 -- a test fake's password
	userLogin     = "bob"
	userPassword  = "pw-bob-Kd93nt" // #nosec G101 -- a test fake's password
	wrongPassword = "pw-wrong-Tr55ab"
)

// fixture is a fake server with user 1 (NetworkAdmin, also holding a SOAP
// session), user 42 and user 7 (plain users); users 1 and 42 can log in.
type fixture struct {
	s                        *ecgridtest.Server
	adminKey, userKey, u7Key string
	redirectHits             atomic.Int64
	redirect                 *httptest.Server
}

func newFixture(t *testing.T, opts ...ecgridtest.Option) *fixture {
	t.Helper()
	s, err := ecgridtest.Start(append([]ecgridtest.Option{
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin, Login: adminLogin, Password: adminPassword}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42, Login: userLogin, Password: userPassword, NetworkID: 3, MailboxID: 4242}),
		ecgridtest.WithUser(ecgridtest.User{ID: 7}),
		ecgridtest.WithSession(1, adminSession),
	}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	f := &fixture{s: s}
	f.adminKey, _ = s.Key(1)
	f.userKey, _ = s.Key(42)
	f.u7Key, _ = s.Key(7)
	f.redirect = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.redirectHits.Add(1)
		http.Error(w, "should never be reached", http.StatusTeapot)
	}))
	t.Cleanup(f.redirect.Close)
	return f
}

// transport is one way of reaching the fake, as command-line flags.
type transport struct {
	name string
	args func(f *fixture) []string
}

var transports = []transport{
	{"rest", func(f *fixture) []string { return []string{"-rest-url", f.s.URL} }},
	{"soap11", func(f *fixture) []string {
		return []string{"-transport", "soap", "-soap-url", f.s.SOAPURL, "-soap-version", "1.1"}
	}},
	{"soap12", func(f *fixture) []string {
		return []string{"--transport", "soap", "--soap-url", f.s.SOAPURL, "--soap-version", "1.2"}
	}},
}

// keyCase is one run of "apikey generate" or "apikey get".
type keyCase struct {
	name     string
	generate bool
	only     string                    // run only over this transport ("rest" or "soap"); "" for all
	env      func(f *fixture) []string // default: the admin's API key
	user     string                    // -user value; default "42"; "-" leaves -user out
	extra    []string                  // more flags
	stdin    string                    // stdin (always a pipe)
	noYes    bool                      // generate without -yes
	fault    *ecgridtest.Fault         // injected before the run
	want     int                       // exit code
	// rotated: for exit 3, whether the fake rotated the key (-1: don't check).
	rotated     int
	stderrHas   []string
	maxDuration time.Duration // 0: no bound
	logins      int           // how many logins (and logouts) the fake must see
}

func envAdmin(f *fixture) []string { return []string{"ECGRID_API_KEY=" + f.adminKey} }
func envUser(f *fixture) []string  { return []string{"ECGRID_API_KEY=" + f.userKey} }

// envLogin returns the environment of a login with a password.
func envLogin(login, password string) func(*fixture) []string {
	return func(*fixture) []string { return []string{"ECGRID_USERNAME=" + login, "ECGRID_PASSWORD=" + password} }
}

var keyCases = []keyCase{
	// Success.
	{name: "generate by admin", generate: true, want: 0},
	{name: "generate own key", generate: true, env: envUser, want: 0},
	{name: "get by admin", want: 0},
	{name: "generate with a login", logins: 1, generate: true, env: envLogin(adminLogin, adminPassword), want: 0},
	{name: "generate own key with a login", logins: 1, generate: true, env: envLogin(userLogin, userPassword), want: 0},
	{name: "get with a login", logins: 1, env: envLogin(adminLogin, adminPassword), want: 0},
	{name: "get api key wins over a wrong login", want: 0,
		env: func(f *fixture) []string {
			return append(envLogin(adminLogin, wrongPassword)(f), "ECGRID_API_KEY="+f.adminKey)
		}},
	{name: "generate soap session wins over a wrong login", generate: true, only: "soap", want: 0,
		env: func(f *fixture) []string {
			return append(envLogin(adminLogin, wrongPassword)(f), "ECGRID_SESSION_ID="+adminSession)
		}},
	{name: "get rest login beside a session", only: "rest", want: 0, logins: 1,
		env: func(f *fixture) []string {
			return append(envLogin(adminLogin, adminPassword)(f), "ECGRID_SESSION_ID="+adminSession)
		}},
	{name: "generate double-dash flags", generate: true, user: "-", extra: []string{"--user", "42", "--timeout", "10s", "--yes"}, want: 0},
	{name: "get double-dash flags", user: "-", extra: []string{"--user=42", "--timeout=10s"}, want: 0},
	{name: "generate soap session only", generate: true, only: "soap", want: 0,
		env: func(*fixture) []string { return []string{"ECGRID_SESSION_ID=" + adminSession} }},
	{name: "get soap session preferred over bad key", only: "soap", want: 0,
		env: func(*fixture) []string {
			return []string{"ECGRID_SESSION_ID=" + adminSession, "ECGRID_API_KEY=" + bogusKey}
		}},
	{name: "generate rest uses key beside session", generate: true, only: "rest", want: 0,
		env: func(f *fixture) []string {
			return []string{"ECGRID_SESSION_ID=" + adminSession, "ECGRID_API_KEY=" + f.adminKey}
		}},

	// 1: the call failed and the old key still works.
	{name: "generate unauthorized", generate: true, env: func(*fixture) []string { return []string{"ECGRID_API_KEY=" + bogusKey} }, want: 1},
	{name: "get unauthorized", env: func(*fixture) []string { return []string{"ECGRID_API_KEY=" + bogusKey} }, want: 1},
	{name: "get own key needs NetworkAdmin", env: envUser, want: 1, stderrHas: []string{"NetworkAdmin"}},
	{name: "get own key with a login needs NetworkAdmin", logins: 1, env: envLogin(userLogin, userPassword), want: 1, stderrHas: []string{"NetworkAdmin"}},
	{name: "generate wrong password", generate: true, env: envLogin(adminLogin, wrongPassword), want: 1, stderrHas: []string{"not rotated"}},
	{name: "get wrong password", env: envLogin(adminLogin, wrongPassword), want: 1, stderrHas: []string{"unauthorized"}},
	{name: "generate unknown login", generate: true, env: envLogin("nobody", adminPassword), want: 1},
	{name: "generate forbidden with a login, logged out", logins: 1, generate: true, env: envLogin(userLogin, userPassword), user: "7", want: 1},
	{name: "generate forbidden", generate: true, env: envUser, user: "7", want: 1},
	{name: "get forbidden", env: envUser, user: "7", want: 1},
	{name: "generate unknown user", generate: true, user: "99", want: 1},
	{name: "get unknown user", user: "99", want: 1},
	{name: "generate server 400 is a failed call", generate: true, want: 1,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Status: http.StatusBadRequest}},
	{name: "get server 400", want: 1, fault: &ecgridtest.Fault{Op: ecgridtest.OpGetAPIKey, Status: http.StatusBadRequest}},
	{name: "generate 503 page after retries", generate: true, want: 1,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Status: http.StatusServiceUnavailable, HTML: true, Times: 3}},
	{name: "generate 429 with a long Retry-After", generate: true, only: "rest", want: 1, stderrHas: []string{"rate limited"},
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Status: http.StatusTooManyRequests, RetryAfter: "3600"}},
	{name: "get 500 is 1 not 3", want: 1, stderrHas: []string{"server error"},
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGetAPIKey, Status: http.StatusInternalServerError, Times: 3}},
	{name: "get lost answer is 1 not 3", want: 1,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGetAPIKey, Drop: ecgridtest.DropAfterApply, Times: 3}},
	{name: "get truncated is 1", want: 1,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGetAPIKey, Truncate: true, Times: 3}},
	{name: "generate redirect refused", generate: true, want: 1, stderrHas: []string{"redirect"}},
	{name: "get redirect refused", want: 1, stderrHas: []string{"redirect"}},
	{name: "get timeout", want: 1, extra: []string{"-timeout", "300ms"}, maxDuration: 4 * time.Second,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGetAPIKey, Delay: 5 * time.Second, Times: 3}},

	// 3: outcome unknown (generate only).
	{name: "generate server 500", generate: true, want: 3, rotated: 0,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Status: http.StatusInternalServerError}},
	{name: "generate lost answer", generate: true, want: 3, rotated: 1,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Drop: ecgridtest.DropAfterApply}},
	{name: "generate truncated answer", generate: true, want: 3, rotated: 1,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Truncate: true, Apply: true}},
	{name: "generate empty key", generate: true, want: 3, rotated: 1,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, EmptyKey: true, Apply: true}},
	{name: "generate timeout", generate: true, want: 3, rotated: -1, extra: []string{"-timeout", "300ms"}, maxDuration: 4 * time.Second,
		fault: &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Delay: 5 * time.Second}},

	// 2: usage error or invalid input, nothing sent.
	{name: "generate pipe says y without -yes", generate: true, noYes: true, stdin: "y\n", want: 2, stderrHas: []string{"-yes"}},
	{name: "generate no credentials", generate: true, env: func(*fixture) []string { return nil }, want: 2},
	{name: "get no credentials", env: func(*fixture) []string { return nil }, want: 2},
	{name: "get empty credentials", env: func(*fixture) []string { return []string{"ECGRID_API_KEY=", "ECGRID_SESSION_ID="} }, want: 2},
	{name: "generate username without password", generate: true, env: envLogin(adminLogin, ""), want: 2, stderrHas: []string{"ECGRID_PASSWORD"}},
	{name: "get password without username", env: envLogin("", adminPassword), want: 2, stderrHas: []string{"ECGRID_USERNAME"}},
	{name: "generate rest with session only", generate: true, only: "rest", want: 2,
		env: func(*fixture) []string { return []string{"ECGRID_SESSION_ID=" + adminSession} }},
	{name: "get malformed key", env: func(*fixture) []string { return []string{"ECGRID_API_KEY= spaced "} }, want: 2},
	{name: "generate missing -user", generate: true, user: "-", want: 2},
	{name: "get missing -user", user: "-", want: 2},
	{name: "generate -user 0", generate: true, user: "0", want: 2},
	{name: "get -user negative", user: "-5", want: 2},
	{name: "generate -user too large", generate: true, user: "2147483648", want: 2},
	{name: "get -user huge", user: "99999999999999999999999", want: 2},
	{name: "get -user not a number", user: "abc", want: 2},
	{name: "generate -timeout 0", generate: true, extra: []string{"-timeout", "0"}, want: 2},
	{name: "get -timeout negative", extra: []string{"-timeout", "-1s"}, want: 2},
	{name: "get -timeout garbage", extra: []string{"-timeout", "soon"}, want: 2},
	{name: "generate bad transport", generate: true, extra: []string{"-transport", "ftp"}, want: 2},
	{name: "get bad soap version", extra: []string{"-soap-version", "1.3"}, want: 2},
	{name: "generate unknown flag", generate: true, extra: []string{"-insecure"}, want: 2},
	{name: "get stray argument", extra: []string{"extra"}, want: 2},
	{name: "generate http rest-url not loopback", generate: true, only: "rest", extra: []string{"-rest-url", "http://example.com"}, want: 2, stderrHas: []string{"loopback"}},
	{name: "get http rest-url not loopback", only: "rest", extra: []string{"-rest-url", "http://example.com"}, want: 2, stderrHas: []string{"loopback"}},
	{name: "generate http soap-url not loopback", generate: true, only: "soap", extra: []string{"-soap-url", "http://example.com/ECGridOS.asmx"}, want: 2, stderrHas: []string{"loopback"}},
	{name: "get http soap-url not loopback", only: "soap", extra: []string{"--soap-url", "http://192.0.2.1/ECGridOS.asmx"}, want: 2, stderrHas: []string{"loopback"}},
}

func TestKeyCommands(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		for _, tc := range keyCases {
			if tc.only != "" && !strings.HasPrefix(tr.name, tc.only) {
				continue
			}
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				runKeyCase(t, tr, tc)
			})
		}
	}
}

func runKeyCase(t *testing.T, tr transport, tc keyCase) {
	f := newFixture(t)
	cmd := "get"
	if tc.generate {
		cmd = "generate"
	}
	args := append([]string{"apikey", cmd}, tr.args(f)...)
	if tc.user != "-" {
		user := tc.user
		if user == "" {
			user = "42"
		}
		args = append(args, "-user", user)
	}
	if tc.generate && !tc.noYes {
		args = append(args, "-yes")
	}
	args = append(args, tc.extra...)
	envFn := tc.env
	if envFn == nil {
		envFn = envAdmin
	}
	env := envFn(f)
	target := 42
	switch tc.user {
	case "7":
		target = 7
	case "99":
		target = 99
	}
	oldKey, _ := f.s.Key(target)
	if tc.fault != nil {
		f.s.Inject(*tc.fault)
	}
	if strings.Contains(tc.name, "redirect") {
		f.s.Inject(ecgridtest.Fault{RedirectTo: f.redirect.URL, Times: 3})
	}

	r := runBin(t, env, tc.stdin, args...)

	assert.Equal(t, tc.want, r.code, "exit code; stderr:\n%s", r.stderr)
	newKey, _ := f.s.Key(target)
	secrets := []string{f.adminKey, f.userKey, f.u7Key, oldKey, newKey, adminSession, bogusKey}
	for _, e := range env {
		_, v, _ := strings.Cut(e, "=")
		secrets = append(secrets, strings.TrimSpace(v))
	}
	assertNoSecret(t, "stderr", r.stderr, secrets...)
	assert.False(t, guidRE.MatchString(r.stderr), "stderr holds a GUID-shaped string: %q", r.stderr)
	for _, s := range tc.stderrHas {
		assert.Contains(t, r.stderr, s)
	}
	if tc.maxDuration > 0 {
		assert.Less(t, r.elapsed, tc.maxDuration, "the command did not return before the server's delay")
	}

	checkLogins(t, f.s, tc.logins)

	switch tc.want {
	case 0:
		assert.Equal(t, newKey+"\n", r.stdout, "stdout must be the server's current key and a newline")
		if tc.generate {
			assert.NotEqual(t, oldKey, newKey, "the key was not rotated")
			assert.Equal(t, 1, f.s.Rotations(target))
		} else {
			assert.Equal(t, oldKey, newKey)
			assert.Equal(t, 0, f.s.Rotations(target))
		}
	case 1:
		assert.Empty(t, r.stdout)
		assert.Equal(t, oldKey, newKey, "exit 1 promises the old key still works")
		assert.Equal(t, 0, f.s.Rotations(target))
		assert.NotContains(t, r.stderr, "outcome is unknown")
	case 2:
		assert.Empty(t, r.stdout)
		assert.Equal(t, oldKey, newKey)
		assert.Empty(t, f.s.Requests(), "exit 2 promises nothing was sent")
		assert.Zero(t, f.s.Accepted(), "exit 2 promises no connection was made")
	case 3:
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "ECGRID_API_KEY=<a NetworkAdmin's key> ecgrid apikey get -user 42")
		assert.Contains(t, r.stderr, "survives a rotation")
		if tc.rotated >= 0 {
			assert.Equal(t, tc.rotated, f.s.Rotations(target))
		}
	}
	if strings.Contains(tc.name, "redirect") {
		assert.Zero(t, f.redirectHits.Load(), "the redirect target must receive nothing")
		assert.NotEmpty(t, f.s.Requests(), "the call should have reached the fake")
	}
}

// checkLogins checks the fake's logins and logouts after a run that should
// have logged in n times (0 or 1): as many logouts, and no session left but
// the one seeded for user 1.
func checkLogins(t *testing.T, s *ecgridtest.Server, n int) {
	t.Helper()
	assert.Equal(t, n, s.Logins(), "logins")
	assert.Equal(t, n, s.Logouts(), "logouts: the command logs out before it exits, also after a failure")
	assert.Equal(t, 1, s.Sessions(1)+s.Sessions(42), "live sessions: only the seeded one")
}

// TestRecoveryCommandWorks follows the advice printed after exit 3: the
// printed "ecgrid apikey get" command, run with the admin's key, prints the
// key the lost answer carried.
func TestRecoveryCommandWorks(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.s.Inject(ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Drop: ecgridtest.DropAfterApply})
			r := runBin(t, envUser(f), "", append(append([]string{"apikey", "generate"}, tr.args(f)...), "-user", "42", "-yes")...)
			require.Equal(t, 3, r.code, r.stderr)
			var line string
			for _, l := range strings.Split(r.stderr, "\n") {
				if _, cmd, ok := strings.Cut(l, "<a NetworkAdmin's key> "); ok && strings.HasPrefix(cmd, "ecgrid apikey get ") {
					line = strings.TrimSpace(cmd)
				}
			}
			require.NotEmpty(t, line, "no recovery command in stderr:\n%s", r.stderr)
			fields := strings.Fields(line)[1:] // drop "ecgrid"; URLs of the fake need no quoting
			for i, fl := range fields {
				fields[i] = strings.Trim(fl, "'")
			}
			if tr.name == "rest" {
				require.Contains(t, fields, f.s.URL)
			}
			got := runBin(t, envAdmin(f), "", fields...)
			require.Equal(t, 0, got.code, got.stderr)
			cur, _ := f.s.Key(42)
			assert.Equal(t, cur+"\n", got.stdout)
			assert.NotEqual(t, f.userKey, cur)
		})
	}
}

// TestSignalCancelsCall sends SIGINT to a command waiting for a slow answer:
// it stops at once, generate with 3 (the request was sent), get with 1.
func TestSignalCancelsCall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cmd  string
		want int
	}{{"generate", 3}, {"get", 1}} {
		t.Run(tc.cmd, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.s.Inject(ecgridtest.Fault{Delay: 20 * time.Second, Times: 5})
			cmd := newCmd(t, envAdmin(f), "apikey", tc.cmd, "-rest-url", f.s.URL, "-user", "42", "-yes=true")
			if tc.cmd == "get" {
				cmd = newCmd(t, envAdmin(f), "apikey", tc.cmd, "-rest-url", f.s.URL, "-user", "42")
			}
			require.NoError(t, cmd.start())
			require.Eventually(t, func() bool { return len(f.s.Requests()) > 0 }, 10*time.Second, 10*time.Millisecond)
			start := time.Now()
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			code := cmd.wait(t, 10*time.Second)
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Equal(t, tc.want, code, cmd.stderr.String())
			assert.Empty(t, cmd.stdout.String())
			assertNoSecret(t, "stderr", cmd.stderr.String(), f.adminKey, f.userKey)
		})
	}
}

// TestTopLevelUsage checks the commands and help outside "apikey".
func TestTopLevelUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want int
		has  string
	}{
		{nil, 2, "Usage"},
		{[]string{"-h"}, 0, "Usage"},
		{[]string{"--help"}, 0, "Usage"},
		{[]string{"help"}, 0, "ecgrid migrate -out FILE"},
		{[]string{"help", "migrate"}, 0, "-rotate"},
		{[]string{"help", "apikey"}, 0, "apikey generate"},
		{[]string{"apikey", "help"}, 0, "apikey get"},
		{[]string{"whoami", "-h"}, 0, "authLevel"},
		{[]string{"migrate", "--help"}, 0, "-force"},
		{[]string{"demo", "-h"}, 0, "fake server"},
		{[]string{"help", "bogus"}, 2, "unknown command"},
		{[]string{"whoami", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"whoami", "extra"}, 2, "unexpected argument"},
		{[]string{"migrate"}, 2, "-out FILE is required"},
		{[]string{"migrate", "-out"}, 2, "flag needs an argument"},
		{[]string{"bogus"}, 2, "unknown command"},
		{[]string{"apikey"}, 2, "missing subcommand"},
		{[]string{"apikey", "rotate"}, 2, "unknown subcommand"},
		{[]string{"apikey", "generate", "-h"}, 0, "-yes"},
		{[]string{"apikey", "generate", "--help"}, 0, "-timeout"},
		{[]string{"apikey", "get", "-h"}, 0, "-user"},
		{[]string{"demo", "extra"}, 2, "unexpected argument"},
		{[]string{"fake-server", "-h"}, 0, "-admin"},
	} {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, []string{"ECGRID_API_KEY=" + bogusKey}, "", tc.args...)
			assert.Equal(t, tc.want, r.code, r.stderr)
			if tc.want == 0 {
				assert.Empty(t, r.stderr, "asked-for help goes to stdout")
				assert.Contains(t, r.stdout, tc.has)
			} else {
				assert.Empty(t, r.stdout, "a usage error goes to stderr")
				assert.Contains(t, r.stderr, tc.has)
			}
			assertNoSecret(t, "output", r.stdout+r.stderr, bogusKey)
		})
	}
}
