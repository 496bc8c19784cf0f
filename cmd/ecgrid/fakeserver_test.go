// Tests of "ecgrid fake-server" and "ecgrid demo", run as processes.

package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
)

// fakeServer is a running "ecgrid fake-server" and what it printed.
type fakeServer struct {
	cmd              *procCmd
	restURL, soapURL string
	stdout           []string // the lines printed at start
	keys             map[int]string
	lines            chan string // any later stdout lines
}

// userLineRE is a user line of the fake server's stdout.
var userLineRE = regexp.MustCompile(`^user: id=(\d+) level=(\w+) key=(\S+)( login=\S+)?$`)

// startFakeServer runs "ecgrid fake-server" with args and reads its URL lines
// and wantUsers user lines from stdout.
func startFakeServer(t *testing.T, wantUsers int, args ...string) *fakeServer {
	t.Helper()
	cmd := newCmd(t, nil, append([]string{"fake-server", "-addr", "127.0.0.1:0"}, args...)...)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout = pw
	require.NoError(t, cmd.start())
	pw.Close()
	t.Cleanup(func() { pr.Close() })

	f := &fakeServer{cmd: cmd, keys: map[int]string{}, lines: make(chan string, 16)}
	go func() {
		defer close(f.lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			f.lines <- sc.Text()
		}
	}()
	deadline := time.After(15 * time.Second)
	for len(f.stdout) < 2+wantUsers {
		select {
		case l, ok := <-f.lines:
			require.True(t, ok, "stdout closed early after %q; stderr:\n%s", f.stdout, cmd.stderr.String())
			f.stdout = append(f.stdout, l)
		case <-deadline:
			t.Fatalf("stdout has only %q; stderr:\n%s", f.stdout, cmd.stderr.String())
		}
	}
	var ok bool
	f.restURL, ok = strings.CutPrefix(f.stdout[0], "rest-url: ")
	require.True(t, ok, "first line: %q", f.stdout[0])
	f.soapURL, ok = strings.CutPrefix(f.stdout[1], "soap-url: ")
	require.True(t, ok, "second line: %q", f.stdout[1])
	for _, l := range f.stdout[2:] {
		m := userLineRE.FindStringSubmatch(l)
		require.NotNil(t, m, "user line: %q", l)
		id, _ := strconv.Atoi(m[1])
		f.keys[id] = m[3]
	}
	return f
}

// stop sends SIGTERM, checks the exit code and returns all of stdout and stderr.
func (f *fakeServer) stop(t *testing.T) (stdout []string, stderr string) {
	t.Helper()
	require.NoError(t, f.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, f.cmd.wait(t, 5*time.Second), f.cmd.stderr.String())
	stdout = f.stdout
	for l := range f.lines {
		stdout = append(stdout, l)
	}
	return stdout, f.cmd.stderr.String()
}

// fakeCall sends a request to the fake server and decodes its JSON envelope.
func fakeCall(t *testing.T, method, url string, hdr map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var env map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	return resp.StatusCode, env
}

func TestFakeServer(t *testing.T) {
	t.Parallel()
	const (
		adminKey = "a1a1a1a1-0000-4000-8000-adminadmin01"
		userKey  = "b2b2b2b2-0000-4000-8000-useruseruse2"
		userPW   = "pw-of-bob:with,punct and space"
	)
	f := startFakeServer(t, 3, "-user", "1="+adminKey, "--admin", "1", "-user", "42="+userKey+",bob:"+userPW,
		"-admin", "5", "-self-key-read")
	assert.True(t, strings.HasPrefix(f.restURL, "http://127.0.0.1:"), f.restURL)
	assert.Equal(t, f.restURL+"/v4.1/prod/ECGridOS.asmx", f.soapURL)
	admin5 := f.keys[5]
	assert.Regexp(t, guidRE, admin5)
	assert.Equal(t, []string{
		"user: id=1 level=NetworkAdmin key=" + adminKey,
		"user: id=5 level=NetworkAdmin key=" + admin5,
		"user: id=42 level=MailboxUser key=" + userKey + " login=bob",
	}, f.stdout[2:])

	// Admin 5's printed random key reads user 42's key.
	status, env := fakeCall(t, http.MethodGet, f.restURL+"/v2/users/key/42", map[string]string{"X-API-Key": admin5}, "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, userKey, env["data"])

	// Bob logs in over REST and SOAP with the seeded password.
	body, _ := json.Marshal(map[string]string{"login": "bob", "password": userPW})
	status, env = fakeCall(t, http.MethodPost, f.restURL+"/v2/auth/login", nil, string(body))
	require.Equal(t, http.StatusOK, status, "%v", env)
	token, _ := env["data"].(map[string]any)["token"].(string)
	status, env = fakeCall(t, http.MethodGet, f.restURL+"/v2/users/me", map[string]string{"Authorization": "Bearer " + token}, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "bob", env["data"].(map[string]any)["login"])
	var esc strings.Builder
	_ = xml.EscapeText(&esc, []byte(userPW))
	resp, err := http.Post(f.soapURL, "application/soap+xml; charset=utf-8",
		strings.NewReader(`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>`+
			`<Login xmlns="https://os.ecgrid.io/"><UserName>bob</UserName><Password>`+esc.String()+`</Password></Login></soap:Body></soap:Envelope>`))
	require.NoError(t, err)
	soapAnswer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", soapAnswer)
	assert.Contains(t, string(soapAnswer), "<LoginResult>")

	// The CLI talks to it over both APIs; with -self-key-read a user reads its own key.
	r := runBin(t, []string{"ECGRID_API_KEY=" + adminKey}, "", "apikey", "generate", "-user", "42", "-yes", "-transport", "soap", "-soap-url", f.soapURL)
	require.Equal(t, 0, r.code, r.stderr)
	newKey := strings.TrimSuffix(r.stdout, "\n")
	assert.NotEqual(t, userKey, newKey)
	r = runBin(t, []string{"ECGRID_API_KEY=" + newKey}, "", "apikey", "get", "-user", "42", "-rest-url", f.restURL)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, newKey+"\n", r.stdout)

	stdout, stderr := f.stop(t)
	assert.Len(t, stdout, 5, "stdout holds the URL and user lines only: %q", stdout)
	assertNoSecret(t, "fake-server output", strings.Join(stdout, "\n")+stderr, userPW, token, newKey)
	assertNoSecret(t, "fake-server stderr", stderr, adminKey, userKey, admin5)
}

// TestFakeServerDefaults checks the reference's key rule (no -self-key-read)
// and -session-ttl.
func TestFakeServerDefaults(t *testing.T) {
	t.Parallel()
	const userKey = "c3c3c3c3-0000-4000-8000-useruseruse3"
	f := startFakeServer(t, 1, "-user", "43="+userKey+",carol:carol-pw", "-session-ttl", "300ms")
	assert.Equal(t, "user: id=43 level=MailboxUser key="+userKey+" login=carol", f.stdout[2])

	status, env := fakeCall(t, http.MethodGet, f.restURL+"/v2/users/key/43", map[string]string{"X-API-Key": userKey}, "")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "AccessDenied", env["errorCode"])

	status, env = fakeCall(t, http.MethodPost, f.restURL+"/v2/auth/login", nil, `{"login":"carol","password":"carol-pw"}`)
	require.Equal(t, http.StatusOK, status, "%v", env)
	bearer := map[string]string{"Authorization": "Bearer " + env["data"].(map[string]any)["token"].(string)}
	status, _ = fakeCall(t, http.MethodGet, f.restURL+"/v2/users/me", bearer, "")
	assert.Equal(t, http.StatusOK, status)
	time.Sleep(400 * time.Millisecond)
	status, env = fakeCall(t, http.MethodGet, f.restURL+"/v2/users/me", bearer, "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "InvalidSession", env["errorCode"])

	stdout, stderr := f.stop(t)
	assert.Len(t, stdout, 3)
	assertNoSecret(t, "fake-server output", strings.Join(stdout, "\n")+stderr, "carol-pw")
}

func TestFakeServerBadFlags(t *testing.T) {
	t.Parallel()
	const (
		key = "c3c3c3c3-0000-4000-8000-secretsecret"
		pw  = "Secret-Passw0rd"
	)
	for _, args := range [][]string{
		{"-user", "42=" + key, "-user", "42=" + key + "x"}, // the same ID twice
		{"-user", "42=" + key, "-user", "43=" + key},       // the same key twice
		{"-user", "42"},                                  // no key
		{"-user", "0=" + key},                            // bad ID
		{"-user", "42= " + key},                          // white space
		{"-user", "42=" + key + ",alice"},                // no password
		{"-user", "42=" + key + ",:" + pw},               // empty login
		{"-user", "42=" + key + ",alice:"},               // empty password
		{"-user", "42=" + key + ",al ice:" + pw},         // white space in the login
		{"-user", "42=" + key + ",alice:" + pw + "\x01"}, // control character in the password
		{"-user", "42=" + key + ",alice:" + pw, "-user", "43=" + key + "x,ALICE:" + pw}, // the same login twice
		{"-user", "42=," + pw},   // empty key before the account
		{"-session-ttl", "-1s"},  // negative
		{"-session-ttl", "soon"}, // not a duration
		{"-admin", "x"},
		{"-addr", "nocolon"},
		{"stray"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, "", append([]string{"fake-server", "-addr", "127.0.0.1:0"}, args...)...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Empty(t, r.stdout)
			assertNoSecret(t, "stderr", r.stderr, key, pw)
		})
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	r := runBin(t, nil, "", "demo")
	require.Equal(t, 0, r.code, "stderr:\n%s", r.stderr)
	assert.Empty(t, r.stderr)
	assert.False(t, guidRE.MatchString(r.stdout), "the demo printed a full key:\n%s", r.stdout)
	for _, s := range []string{"REST", "SOAP 1.1", "SOAP 1.2", "ErrUnauthorized", "ErrOutcomeUnknown", "Recovery", "back in",
		"WhoAmI with the old key", "WhoAmI with the new key", "accepted: user 42"} {
		assert.Contains(t, r.stdout, s)
	}
	assert.Equal(t, 3, strings.Count(r.stdout, "WhoAmI with the new key"), "one check per transport")
}

// TestFakeServerBadAdmin: a bad -admin is reported like a bad -user, in one
// "ecgrid fake-server: …" line, not by the flag package with the whole usage.
func TestFakeServerBadAdmin(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "x"} {
		p := &inProc{}
		code, stdout, stderr := p.run("fake-server", "-admin", v)
		assert.Equal(t, exitUsage, code, stderr)
		assert.Empty(t, stdout)
		assert.Equal(t, "ecgrid fake-server: -admin \""+v+"\" is not a user ID: want an integer between 1 and "+
			strconv.Itoa(ecgrid.MaxUserID)+"\n", stderr)
		assert.Zero(t, p.netCalls)
	}
}
