// Tests of "ecgrid migrate" against ecgridtest servers, over SOAP 1.1 and
// SOAP 1.2 (REST is only where the key is verified).

package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// soapVersions are the SOAP versions migrate is run over.
var soapVersions = []string{"1.1", "1.2"}

// fileWant says what FILE must hold after a run.
type fileWant int

const (
	fileAbsent  fileWant = iota // no FILE
	fileCurrent                 // the user's current key (after the run) and a newline
	filePrior                   // what the test put there before the run
)

// migrateCase is one run of "ecgrid migrate".
type migrateCase struct {
	name      string
	env       func(f *fixture) map[string]string
	args      []string                // more flags
	opts      []ecgridtest.Option     // more options of the fake
	faults    []ecgridtest.Fault      // injected before the run
	restURL   func(f *fixture) string // -rest-url; default the fake's
	prior     bool                    // FILE exists before the run
	terminal  bool                    // stdin counts as a terminal
	stdin     string                  // the answer on a terminal
	user      int                     // the migrating user
	want      int                     // exit code
	rotations int                     // of the user's key
	file      fileWant
	logins    int      // logins (and logouts) the fake must see
	has       []string // in stderr
	noGen     bool     // no GenerateAPIKey request may arrive
	nothing   bool     // no request at all may arrive
}

func envAdminLogin(*fixture) map[string]string {
	return map[string]string{envUsername: adminLogin, envPassword: adminPassword}
}

func envUserLogin(*fixture) map[string]string {
	return map[string]string{envUsername: userLogin, envPassword: userPassword}
}

var migrateCases = []migrateCase{
	// 0: done.
	{name: "reuse, admin login", env: envAdminLogin, user: 1, want: 0, file: fileCurrent, logins: 1, noGen: true,
		has: []string{"reused the existing API key", "nothing changed on the server", "verified on REST", "logged out", "ECGRID_API_KEY", "-transport rest"}},
	{name: "reuse, admin session", user: 1, want: 0, file: fileCurrent, noGen: true,
		env: func(*fixture) map[string]string { return map[string]string{envSessionID: adminSession} }},
	{name: "reuse, admin api key", user: 1, want: 0, file: fileCurrent, noGen: true,
		env: func(f *fixture) map[string]string { return map[string]string{envAPIKey: f.adminKey} }},
	{name: "reuse, plain user with self key read", env: envUserLogin, opts: []ecgridtest.Option{ecgridtest.WithSelfKeyRead()},
		user: 42, want: 0, file: fileCurrent, logins: 1, noGen: true, has: []string{"reused"}},
	{name: "reuse over an existing file with -force", env: envAdminLogin, args: []string{"-force"}, prior: true,
		user: 1, want: 0, file: fileCurrent, logins: 1, noGen: true},
	{name: "rotate, plain user login", env: envUserLogin, args: []string{"-rotate", "-yes"},
		user: 42, want: 0, rotations: 1, file: fileCurrent, logins: 1, has: []string{"new API key was generated", "-rotate", "verified on REST"}},
	{name: "rotate, plain user api key", args: []string{"-rotate", "-yes"},
		env:  func(f *fixture) map[string]string { return map[string]string{envAPIKey: f.userKey} },
		user: 42, want: 0, rotations: 1, file: fileCurrent},
	{name: "rotate confirmed on a terminal", env: envUserLogin, args: []string{"-rotate"}, terminal: true, stdin: "yes\n",
		user: 42, want: 0, rotations: 1, file: fileCurrent, logins: 1, has: []string{"[y/N]"}},
	{name: "rotate, answer lost, recovered with the login", env: envAdminLogin, args: []string{"-rotate", "-yes"},
		faults: []ecgridtest.Fault{{Transport: "soap", Op: ecgridtest.OpGenerateAPIKey, Drop: ecgridtest.DropAfterApply}},
		user:   1, want: 0, rotations: 1, file: fileCurrent, logins: 1, has: []string{"read back"}},
	{name: "rotate, answer lost, recovered with the session", args: []string{"-rotate", "-yes"},
		env:    func(*fixture) map[string]string { return map[string]string{envSessionID: adminSession} },
		faults: []ecgridtest.Fault{{Transport: "soap", Op: ecgridtest.OpGenerateAPIKey, Drop: ecgridtest.DropAfterApply}},
		user:   1, want: 0, rotations: 1, file: fileCurrent, has: []string{"read back"}},
	{name: "rotate, plain user self read, answer lost, recovered", env: envUserLogin, args: []string{"-rotate", "-yes"},
		opts:   []ecgridtest.Option{ecgridtest.WithSelfKeyRead()},
		faults: []ecgridtest.Fault{{Transport: "soap", Op: ecgridtest.OpGenerateAPIKey, Drop: ecgridtest.DropAfterApply}},
		user:   42, want: 0, rotations: 1, file: fileCurrent, logins: 1, has: []string{"read back"}},

	// 1: failed, nothing changed on the server.
	{name: "read refused without -rotate", env: envUserLogin, user: 42, want: 1, logins: 1, noGen: true,
		has: []string{"refused to read the key of user 42", "NetworkAdmin", "run again with -rotate", "nothing changed on the server"}},
	{name: "read refused, api key", user: 42, want: 1, noGen: true, has: []string{"-rotate"},
		env: func(f *fixture) map[string]string { return map[string]string{envAPIKey: f.userKey} }},
	{name: "wrong password", user: 1, want: 1, noGen: true, has: []string{"unauthorized", "nothing changed on the server"},
		env: func(*fixture) map[string]string {
			return map[string]string{envUsername: adminLogin, envPassword: wrongPassword}
		}},
	{name: "wrong password with -rotate", args: []string{"-rotate", "-yes"}, user: 1, want: 1, noGen: true,
		env: func(*fixture) map[string]string {
			return map[string]string{envUsername: adminLogin, envPassword: wrongPassword}
		}},
	{name: "file exists without -force", env: envAdminLogin, args: []string{"-rotate", "-yes"}, prior: true,
		user: 1, want: 1, file: filePrior, nothing: true, has: []string{"exists", "-force", "nothing was sent"}},
	{name: "file exists without -force, reuse", env: envAdminLogin, prior: true,
		user: 1, want: 1, file: filePrior, nothing: true},
	{name: "not confirmed on a terminal", env: envUserLogin, args: []string{"-rotate"}, terminal: true, stdin: "n\n",
		user: 42, want: 1, logins: 1, noGen: true, has: []string{"not confirmed", "nothing changed on the server"}},
	{name: "too long an answer", env: envUserLogin, args: []string{"-rotate"}, terminal: true, stdin: strings.Repeat("y", 500) + "\n",
		user: 42, want: 1, logins: 1, noGen: true, has: []string{"not confirmed"}},
	{name: "generation refused", env: envUserLogin, args: []string{"-rotate", "-yes"},
		faults: []ecgridtest.Fault{{Transport: "soap", Op: ecgridtest.OpGenerateAPIKey, Status: http.StatusForbidden, SOAPCode: "Authorization", FaultCode: "Client"}},
		user:   42, want: 1, logins: 1, has: []string{"not rotated"}},
	{name: "rest refuses the reused key", env: envAdminLogin,
		faults: []ecgridtest.Fault{{Transport: "rest", Op: ecgridtest.OpWhoAmI, Status: http.StatusUnauthorized, Times: ecgridtest.Forever}},
		user:   1, want: 1, file: fileCurrent, logins: 1, noGen: true, has: []string{"REST refused it", "nothing changed on the server"}},
	{name: "who am i fails", env: envAdminLogin,
		faults: []ecgridtest.Fault{{Transport: "soap", Op: ecgridtest.OpWhoAmI, Status: http.StatusForbidden, SOAPCode: "Authorization", FaultCode: "Client"}},
		user:   1, want: 1, logins: 1, noGen: true},

	// 2: usage, nothing sent.
	{name: "rotate without -yes off a terminal", env: envUserLogin, args: []string{"-rotate"},
		user: 42, want: 2, nothing: true, has: []string{"-yes", "not a terminal"}},
	{name: "no credential", env: func(*fixture) map[string]string { return nil }, user: 1, want: 2, nothing: true},
	{name: "password only", env: func(*fixture) map[string]string { return map[string]string{envPassword: adminPassword} },
		user: 1, want: 2, nothing: true},
	{name: "http rest url not loopback", env: envAdminLogin, restURL: func(*fixture) string { return "http://example.com" },
		user: 1, want: 2, nothing: true, has: []string{"loopback"}},
	{name: "bad timeout", env: envAdminLogin, args: []string{"-timeout", "-3s"}, user: 1, want: 2, nothing: true},
	{name: "transport is not a flag of migrate", env: envAdminLogin, args: []string{"-transport", "rest"}, user: 1, want: 2, nothing: true},

	// 3: the new key is lost or its outcome unknown.
	{name: "answer lost, recovery fails with the old api key", args: []string{"-rotate", "-yes"},
		env:    func(f *fixture) map[string]string { return map[string]string{envAPIKey: f.adminKey} },
		faults: []ecgridtest.Fault{{Transport: "soap", Op: ecgridtest.OpGenerateAPIKey, Drop: ecgridtest.DropAfterApply}},
		user:   1, want: 3, rotations: 1,
		has: []string{"ECGRID_API_KEY=<a NetworkAdmin's key> ecgrid apikey get -user 1", "survives a rotation"}},
	{name: "server error, recovery read shows no rotation", env: envUserLogin, args: []string{"-rotate", "-yes"},
		opts:   []ecgridtest.Option{ecgridtest.WithSelfKeyRead()},
		faults: []ecgridtest.Fault{{Transport: "soap", Op: ecgridtest.OpGenerateAPIKey, Status: http.StatusInternalServerError}},
		user:   42, want: 3, rotations: 0, logins: 1, has: []string{"ecgrid apikey get -user 42"}},

	// 4: a new key in FILE that REST refuses.
	{name: "rest refuses the new key", env: envUserLogin, args: []string{"-rotate", "-yes"},
		faults: []ecgridtest.Fault{{Transport: "rest", Op: ecgridtest.OpWhoAmI, Status: http.StatusUnauthorized, Times: ecgridtest.Forever}},
		user:   42, want: 4, rotations: 1, file: fileCurrent, logins: 1, has: []string{"saved in", "REST refused it", "unauthorized"}},
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	for _, v := range soapVersions {
		for _, tc := range migrateCases {
			t.Run(v+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				runMigrateCase(t, v, tc)
			})
		}
	}
}

func runMigrateCase(t *testing.T, version string, tc migrateCase) {
	f := newFixture(t, tc.opts...)
	dir := t.TempDir()
	file := filepath.Join(dir, "rest-key")
	const prior = "not a key, written before the run\n"
	if tc.prior {
		require.NoError(t, os.WriteFile(file, []byte(prior), 0o644))
	}
	oldKey, _ := f.s.Key(tc.user)
	restURL := f.s.URL
	if tc.restURL != nil {
		restURL = tc.restURL(f)
	}
	for _, fl := range tc.faults {
		f.s.Inject(fl)
	}
	args := append([]string{"migrate", "-out", file, "-soap-url", f.s.SOAPURL, "-soap-version", version, "-rest-url", restURL}, tc.args...)
	env := tc.env(f)
	p := &inProc{env: env, terminal: tc.terminal, stdin: strings.NewReader(tc.stdin)}
	code, stdout, stderr := p.run(args...)

	assert.Equal(t, tc.want, code, "exit code; stderr:\n%s", stderr)
	assert.Empty(t, stdout, "stdout stays empty: the key is only in FILE")
	newKey, _ := f.s.Key(tc.user)
	secrets := []string{f.adminKey, f.userKey, f.u7Key, oldKey, newKey, adminSession, adminPassword, userPassword, wrongPassword}
	for k, v := range env {
		if k != envUsername { // a login name is no secret
			secrets = append(secrets, v)
		}
	}
	assertNoSecret(t, "stderr", stderr, secrets...)
	assert.False(t, guidRE.MatchString(stderr), "stderr holds a GUID-shaped string: %q", stderr)
	for _, h := range tc.has {
		assert.Contains(t, stderr, h)
	}
	assert.Equal(t, tc.rotations, f.s.Rotations(tc.user), "rotations of user %d", tc.user)
	if tc.rotations > 0 {
		assert.NotEqual(t, oldKey, newKey)
	}
	checkLogins(t, f.s, tc.logins)

	// FILE, its mode, and no temporary file left beside it.
	got, err := os.ReadFile(file)
	switch tc.file {
	case fileAbsent:
		assert.ErrorIs(t, err, os.ErrNotExist, "FILE must not be written")
	case filePrior:
		require.NoError(t, err)
		assert.Equal(t, prior, string(got), "FILE must be left alone")
	case fileCurrent:
		require.NoError(t, err)
		assert.Equal(t, newKey+"\n", string(got), "FILE holds the user's current key")
		fi, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		if code == 0 {
			assert.Contains(t, stderr, file)
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Equal(t, "rest-key", e.Name(), "a file left beside FILE")
	}

	var gens int
	for _, r := range f.s.Requests() {
		if r.Op == ecgridtest.OpGenerateAPIKey {
			gens++
		}
	}
	if tc.noGen || tc.nothing {
		assert.Zero(t, gens, "no key generation may be sent")
	}
	if tc.nothing {
		assert.Empty(t, f.s.Requests(), "nothing may be sent")
		assert.Zero(t, p.netCalls, "no network context before the checks pass")
	}

	// The key in FILE works on REST, and a rotated-away key no longer does.
	if tc.file == fileCurrent && tc.want != 4 && tc.want != 1 {
		wp := &inProc{env: map[string]string{envAPIKey: strings.TrimSpace(string(got))}}
		c, out, errs := wp.run("whoami", "-rest-url", f.s.URL)
		assert.Equal(t, 0, c, errs)
		assert.Contains(t, out, `"userId":`+strconv.Itoa(tc.user)+`,`)
	}
	if tc.rotations > 0 && oldKey != newKey {
		wp := &inProc{env: map[string]string{envAPIKey: oldKey}}
		c, _, _ := wp.run("whoami", "-transport", "soap", "-soap-url", f.s.SOAPURL)
		assert.Equal(t, 1, c, "the old key must be dead")
	}
}

// TestMigrateRESTElsewhere verifies on another fake, which does not know the
// new key: exit 4, the key kept in FILE.
func TestMigrateRESTElsewhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
	defer other.Close()
	file := filepath.Join(t.TempDir(), "key")
	p := &inProc{env: envUserLogin(f)}
	code, stdout, stderr := p.run("migrate", "-out", file, "-rotate", "-yes", "-soap-url", f.s.SOAPURL, "-rest-url", other.URL)
	assert.Equal(t, 4, code, stderr)
	assert.Empty(t, stdout)
	cur, _ := f.s.Key(42)
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, cur+"\n", string(got))
	assert.Equal(t, 1, f.s.Rotations(42))
	assert.Contains(t, stderr, "REST refused it")
	assert.Contains(t, stderr, "InvalidAPIKey")
	checkLogins(t, f.s, 1)
}

// TestMigrateFileAppears creates FILE while the generation is under way:
// Persist checks again, refuses to overwrite it, and the command exits 3
// with the recovery advice, FILE untouched.
func TestMigrateFileAppears(t *testing.T) {
	t.Parallel()
	for _, v := range soapVersions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.s.Inject(ecgridtest.Fault{Transport: "soap", Op: ecgridtest.OpGenerateAPIKey, Delay: 500 * time.Millisecond})
			file := filepath.Join(t.TempDir(), "key")
			done := make(chan struct{})
			var code int
			var stdout, stderr string
			go func() {
				defer close(done)
				p := &inProc{env: envUserLogin(f)}
				code, stdout, stderr = p.run("migrate", "-out", file, "-rotate", "-yes", "-soap-url", f.s.SOAPURL,
					"-soap-version", v, "-rest-url", f.s.URL)
			}()
			require.Eventually(t, func() bool {
				for _, r := range f.s.Requests() {
					if r.Op == ecgridtest.OpGenerateAPIKey {
						return true
					}
				}
				return false
			}, 10*time.Second, 5*time.Millisecond)
			require.NoError(t, os.WriteFile(file, []byte("someone else's\n"), 0o600))
			<-done
			assert.Equal(t, 3, code, stderr)
			assert.Empty(t, stdout)
			got, _ := os.ReadFile(file)
			assert.Equal(t, "someone else's\n", string(got))
			assert.Equal(t, 1, f.s.Rotations(42))
			assert.Contains(t, stderr, "could not be written")
			assert.Contains(t, stderr, "ECGRID_API_KEY=<a NetworkAdmin's key> ecgrid apikey get -user 42")
			checkLogins(t, f.s, 1)
		})
	}
}

// TestMigrateMissingDirectory: a FILE that can't be created (its directory
// does not exist, is not writable, or FILE is a directory) is invalid input,
// refused with exit 2 before anything is sent; only an existing FILE without
// -force is exit 1.
func TestMigrateMissingDirectory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked")
	require.NoError(t, os.Mkdir(locked, 0o500))
	for _, tc := range []struct{ name, out string }{
		{"missing directory", filepath.Join(dir, "no", "such", "key")},
		{"a directory", dir},
		{"unwritable directory", filepath.Join(locked, "key")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "unwritable directory" && os.Geteuid() == 0 {
				t.Skip("root writes to any directory")
			}
			p := &inProc{env: envAdminLogin(f)}
			code, _, stderr := p.run("migrate", "-out", tc.out, "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, "nothing was sent")
			assert.Empty(t, f.s.Requests())
			assert.Zero(t, p.netCalls)
		})
	}
}

// TestMigrateTimeoutAfterPrompt: the time at the prompt does not count in
// -timeout, which bounds each network call.
func TestMigrateTimeoutAfterPrompt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	file := filepath.Join(t.TempDir(), "key")
	p := &inProc{env: envUserLogin(f), terminal: true,
		stdin: &slowReader{delay: 700 * time.Millisecond, data: "y\n"}}
	code, _, stderr := p.run("migrate", "-out", file, "-rotate", "-timeout", "400ms", "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL)
	assert.Equal(t, 0, code, stderr)
	assert.Equal(t, 1, f.s.Rotations(42))
}

// slowReader answers data after delay, as a person at a terminal does.
type slowReader struct {
	delay time.Duration
	data  string
	slept bool
}

func (r *slowReader) Read(p []byte) (int, error) {
	if !r.slept {
		time.Sleep(r.delay)
		r.slept = true
	}
	if r.data == "" {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}
