// Tests of "ecgrid whoami" over REST, SOAP 1.1 and SOAP 1.2, with each
// source of credentials.

package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

func TestWhoAmI(t *testing.T) {
	t.Parallel()
	const (
		admin = `{"userId":1,"login":"admin","networkId":0,"mailboxId":0,"authLevel":"NetworkAdmin"}` + "\n"
		user  = `{"userId":42,"login":"bob","networkId":3,"mailboxId":4242,"authLevel":"MailboxUser"}` + "\n"
	)
	for _, tr := range transports {
		for _, tc := range []struct {
			name   string
			only   string // "rest" or "soap": run only over that transport
			env    func(f *fixture) map[string]string
			fault  *ecgridtest.Fault
			want   int
			stdout string
			logins int    // logins and logouts the fake must see
			has    string // in stderr
		}{
			{name: "api key", want: 0, stdout: user,
				env: func(f *fixture) map[string]string { return map[string]string{envAPIKey: f.userKey} }},
			{name: "admin api key", want: 0, stdout: admin,
				env: func(f *fixture) map[string]string { return map[string]string{envAPIKey: f.adminKey} }},
			{name: "session id", only: "soap", want: 0, stdout: admin,
				env: func(f *fixture) map[string]string { return map[string]string{envSessionID: adminSession} }},
			{name: "session id wins over a bad key", only: "soap", want: 0, stdout: admin,
				env: func(f *fixture) map[string]string {
					return map[string]string{envSessionID: adminSession, envAPIKey: bogusKey}
				}},
			{name: "session id is not for rest", only: "rest", want: 2, has: "SOAP only",
				env: func(f *fixture) map[string]string { return map[string]string{envSessionID: adminSession} }},
			{name: "login", want: 0, stdout: user, logins: 1, env: envUserLogin},
			{name: "login name in another case", want: 0, stdout: admin, logins: 1,
				env: func(f *fixture) map[string]string {
					return map[string]string{envUsername: "ADMIN", envPassword: adminPassword}
				}},
			{name: "api key wins over a login", want: 0, stdout: user,
				env: func(f *fixture) map[string]string {
					return map[string]string{envAPIKey: f.userKey, envUsername: adminLogin, envPassword: adminPassword}
				}},
			{name: "wrong password", want: 1, has: "unauthorized",
				env: func(f *fixture) map[string]string {
					return map[string]string{envUsername: userLogin, envPassword: wrongPassword}
				}},
			{name: "the user's password for the admin", want: 1, has: "unauthorized",
				env: func(f *fixture) map[string]string {
					return map[string]string{envUsername: adminLogin, envPassword: userPassword}
				}},
			{name: "refused after the login, logged out", want: 1, logins: 1, has: "forbidden",
				fault: &ecgridtest.Fault{Op: ecgridtest.OpWhoAmI, Status: http.StatusForbidden}, env: envUserLogin},
			{name: "unknown key", want: 1, has: "unauthorized",
				env: func(f *fixture) map[string]string { return map[string]string{envAPIKey: bogusKey} }},
			{name: "no credential", want: 2, has: "no credential",
				env: func(f *fixture) map[string]string { return nil }},
			{name: "username only", want: 2, has: envPassword,
				env: func(f *fixture) map[string]string { return map[string]string{envUsername: userLogin} }},
			{name: "bad timeout", want: 2, has: "-timeout",
				env: func(f *fixture) map[string]string { return map[string]string{envAPIKey: f.userKey} }},
		} {
			if tc.only != "" && !strings.HasPrefix(tr.name, tc.only) {
				continue
			}
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				if tc.fault != nil {
					f.s.Inject(*tc.fault)
				}
				args := append([]string{"whoami"}, tr.args(f)...)
				if tc.name == "bad timeout" {
					args = append(args, "-timeout", "0s")
				}
				env := tc.env(f)
				p := &inProc{env: env}
				code, stdout, stderr := p.run(args...)
				assert.Equal(t, tc.want, code, stderr)
				assert.Equal(t, tc.stdout, stdout)
				if tc.want == 0 {
					assert.Empty(t, stderr)
				} else {
					assert.Contains(t, stderr, tc.has)
					assert.True(t, strings.HasPrefix(stderr, "ecgrid whoami: "), stderr)
				}
				secrets := []string{f.adminKey, f.userKey, adminSession, bogusKey, adminPassword, userPassword, wrongPassword}
				assertNoSecret(t, "stdout", stdout, secrets...)
				assertNoSecret(t, "stderr", stderr, secrets...)
				checkLogins(t, f.s, tc.logins)
				if tc.want == 2 {
					assert.Empty(t, f.s.Requests(), "exit 2 promises nothing was sent")
					assert.Zero(t, p.netCalls, "no network context for a usage error")
				}
			})
		}
	}
}

// TestWhoAmIBinary checks the JSON line and the exit codes of the real
// binary, with a login whose password must not show.
func TestWhoAmIBinary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := runBin(t, envLogin(userLogin, userPassword)(f),
		"", "whoami", "-transport", "soap", "-soap-url", f.s.SOAPURL, "-soap-version", "1.2")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, `{"userId":42,"login":"bob","networkId":3,"mailboxId":4242,"authLevel":"MailboxUser"}`+"\n", r.stdout)
	assert.Empty(t, r.stderr)
	checkLogins(t, f.s, 1)

	r = runBin(t, envLogin(userLogin, wrongPassword)(f), "", "whoami", "-rest-url", f.s.URL)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.NotContains(t, r.stderr, wrongPassword)
	assert.Equal(t, 1, f.s.Logins(), "the wrong password is no login")
}
