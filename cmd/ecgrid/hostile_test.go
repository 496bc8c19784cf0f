// Tests of the binary where the operating system matters (a closed stdout,
// stdin from a character device that is not a terminal), and of the
// command's messages, help and version.

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// runClosedStdout runs the binary with stdout a pipe whose read end is
// closed, as in "ecgrid … | true" once true has exited.
func runClosedStdout(t *testing.T, env []string, args ...string) (code int, signaled bool, stderr string) {
	t.Helper()
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, pr.Close())
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append([]string{}, env...)
	cmd.Stdin = strings.NewReader("")
	cmd.Stdout = pw
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running ecgrid: %v", err)
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return cmd.ProcessState.ExitCode(), ws.Signaled(), errBuf.String()
}

// TestClosedStdout: with stdout a closed pipe the write fails with EPIPE
// instead of SIGPIPE killing the process: a generate whose new key can't be
// written exits 3 with the recovery advice; get and whoami exit 1.
func TestClosedStdout(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			code, signaled, stderr := runClosedStdout(t, envAdmin(f), append(append([]string{"apikey", "generate"}, tr.args(f)...), "-user", "42", "-yes")...)
			assert.False(t, signaled, "killed by a signal (SIGPIPE?)")
			assert.Equal(t, 3, code, stderr)
			assert.Equal(t, 1, f.s.Rotations(42), "the key was rotated before the write")
			assert.Contains(t, stderr, "writing the key to stdout")
			assert.Contains(t, stderr, "broken pipe")
			assert.Contains(t, stderr, "was rotated, but the new key was lost")
			assert.Contains(t, stderr, "ECGRID_API_KEY=<a NetworkAdmin's key> ecgrid apikey get -user 42")
			cur, _ := f.s.Key(42)
			assertNoSecret(t, "stderr", stderr, f.adminKey, f.userKey, cur)

			code, signaled, stderr = runClosedStdout(t, envAdmin(f), append(append([]string{"apikey", "get"}, tr.args(f)...), "-user", "42")...)
			assert.False(t, signaled)
			assert.Equal(t, 1, code, stderr)
			assert.Contains(t, stderr, "broken pipe")
			assert.Equal(t, 1, f.s.Rotations(42))

			code, signaled, stderr = runClosedStdout(t, envAdmin(f), append([]string{"whoami"}, tr.args(f)...)...)
			assert.False(t, signaled)
			assert.Equal(t, 1, code, stderr)
			assert.Contains(t, stderr, "broken pipe")
		})
	}
	t.Run("version and help", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{{"version"}, {"-h"}, {"migrate", "-h"}} {
			code, signaled, _ := runClosedStdout(t, nil, args...)
			assert.False(t, signaled, "%v: killed by a signal", args)
			assert.NotEqual(t, 141, code, "%v", args)
		}
	})
}

// runDevStdin runs the binary with stdin opened from a device.
func runDevStdin(t *testing.T, dev string, env []string, args ...string) result {
	t.Helper()
	in, err := os.Open(dev)
	require.NoError(t, err)
	defer in.Close()
	return runBinFrom(t, in, env, args...)
}

// TestCharDeviceStdinIsNoTerminal: /dev/zero and /dev/null are character
// devices but not terminals: no prompt, refusal without -yes, at once.
func TestCharDeviceStdinIsNoTerminal(t *testing.T) {
	t.Parallel()
	for _, dev := range []string{"/dev/zero", "/dev/null"} {
		if _, err := os.Stat(dev); err != nil {
			t.Skipf("%s: %v", dev, err)
		}
		t.Run(filepath.Base(dev), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := runDevStdin(t, dev, envAdmin(f), "apikey", "generate", "-user", "42", "-rest-url", f.s.URL)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Less(t, r.elapsed, 5*time.Second)
			assert.NotContains(t, r.stderr, "[y/N]", "no prompt off a terminal")
			assert.Contains(t, r.stderr, "stdin is not a terminal")
			assert.Empty(t, r.stdout)
			assert.Empty(t, f.s.Requests())

			file := filepath.Join(t.TempDir(), "key")
			r = runDevStdin(t, dev, envLogin(userLogin, userPassword)(f),
				"migrate", "-rotate", "-out", file, "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Less(t, r.elapsed, 5*time.Second)
			assert.NotContains(t, r.stderr, "[y/N]")
			assert.Empty(t, f.s.Requests())

			// With -yes stdin is never read.
			r = runDevStdin(t, dev, envAdmin(f), "apikey", "generate", "-user", "42", "-yes", "-rest-url", f.s.URL)
			assert.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, 1, f.s.Rotations(42))
		})
	}
}

// TestVersion prints the library's version on stdout.
func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "-version", "--version"} {
		r := runBin(t, nil, "", arg)
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "ecgrid "+ecgrid.Version+"\n", r.stdout)
		assert.Empty(t, r.stderr)
	}
	// A stray argument is a usage error, as for every other command.
	for _, arg := range []string{"version", "-version", "--version"} {
		r := runBin(t, nil, "", arg, "x")
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Empty(t, r.stdout)
		assert.Equal(t, "ecgrid version: unexpected argument \"x\"\n", r.stderr)
	}
}

// TestNoNetworkContextWithoutNetworkWork: help, version and usage errors
// don't set up signal handling (the network context), and print help on
// stdout.
func TestNoNetworkContextWithoutNetworkWork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"-h"}, 0}, {[]string{"help"}, 0}, {[]string{"help", "whoami"}, 0}, {[]string{"version"}, 0},
		{[]string{"apikey", "generate", "-h"}, 0}, {[]string{"migrate", "--help"}, 0}, {[]string{"fake-server", "-h"}, 0},
		{[]string{"demo", "--help"}, 0},
		{nil, 2}, {[]string{"nope"}, 2}, {[]string{"apikey", "get"}, 2}, {[]string{"whoami", "-transport", "x"}, 2},
		{[]string{"migrate", "-out", "k"}, 2},              // no credential
		{[]string{"apikey", "generate", "-user", "42"}, 2}, // not a terminal, no -yes
	} {
		p := &inProc{env: map[string]string{}}
		if len(tc.args) > 0 && tc.args[0] == "apikey" && len(tc.args) == 4 {
			p.env[envAPIKey] = bogusKey
		}
		code, stdout, stderr := p.run(tc.args...)
		assert.Equal(t, tc.want, code, "%v: %s", tc.args, stderr)
		assert.Zero(t, p.netCalls, "%v: network context made", tc.args)
		if tc.want == 0 {
			assert.NotEmpty(t, stdout, "%v", tc.args)
			assert.Empty(t, stderr, "%v", tc.args)
		} else {
			assert.Empty(t, stdout, "%v", tc.args)
			assert.NotEmpty(t, stderr, "%v", tc.args)
		}
	}
}

// TestTimeoutStartsAfterPrompt: a slow answer at the prompt does not eat
// into -timeout.
func TestTimeoutStartsAfterPrompt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := &inProc{env: map[string]string{envAPIKey: f.adminKey}, terminal: true,
		stdin: &slowReader{delay: 700 * time.Millisecond, data: "y\n"}}
	code, stdout, stderr := p.run("apikey", "generate", "-user", "42", "-timeout", "400ms", "-rest-url", f.s.URL)
	assert.Equal(t, 0, code, stderr)
	cur, _ := f.s.Key(42)
	assert.Equal(t, cur+"\n", stdout)
	assert.Equal(t, 1, f.s.Rotations(42))
}

// TestMessagesDoNotStutter collects the error output of many failures and
// checks for doubled prefixes and doubled sentence ends.
func TestMessagesDoNotStutter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists")
	require.NoError(t, os.WriteFile(exists, nil, 0o600))
	key := map[string]string{envAPIKey: f.adminKey}
	user := map[string]string{envAPIKey: f.userKey}
	login := envUserLogin(f)
	wrong := map[string]string{envUsername: userLogin, envPassword: wrongPassword}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		fault *ecgridtest.Fault
		args  []string
	}{
		{"bad rest url", key, nil, []string{"apikey", "get", "-user", "42", "-rest-url", "http://example.com"}},
		{"bad soap url", key, nil, []string{"apikey", "get", "-user", "42", "-transport", "soap", "-soap-url", "ftp://x"}},
		{"malformed key", map[string]string{envAPIKey: " x "}, nil, []string{"whoami"}},
		{"own key", user, nil, []string{"apikey", "get", "-user", "42", "-rest-url", f.s.URL}},
		{"generate forbidden", user, nil, []string{"apikey", "generate", "-yes", "-user", "7", "-rest-url", f.s.URL}},
		{"generate forbidden soap", user, nil, []string{"apikey", "generate", "-yes", "-user", "7", "-transport", "soap", "-soap-url", f.s.SOAPURL}},
		{"generate wrong password", wrong, nil, []string{"apikey", "generate", "-yes", "-user", "42", "-rest-url", f.s.URL}},
		{"generate 500", key, &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Status: 500},
			[]string{"apikey", "generate", "-yes", "-user", "42", "-rest-url", f.s.URL}},
		{"generate 400", key, &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Status: 400, Message: "Bad."},
			[]string{"apikey", "generate", "-yes", "-user", "42", "-transport", "soap", "-soap-url", f.s.SOAPURL}},
		{"whoami wrong password", wrong, nil, []string{"whoami", "-transport", "soap", "-soap-url", f.s.SOAPURL}},
		{"migrate read refused", login, nil, []string{"migrate", "-out", filepath.Join(dir, "a"), "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL}},
		{"migrate wrong password", wrong, nil, []string{"migrate", "-out", filepath.Join(dir, "b"), "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL}},
		{"migrate exists", login, nil, []string{"migrate", "-out", exists, "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL}},
		{"migrate generation refused", login, &ecgridtest.Fault{Op: ecgridtest.OpGenerateAPIKey, Status: 403, SOAPCode: "Authorization", FaultCode: "Client"},
			[]string{"migrate", "-rotate", "-yes", "-out", filepath.Join(dir, "c"), "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL}},
		{"migrate bad rest url", login, nil, []string{"migrate", "-out", filepath.Join(dir, "d"), "-soap-url", f.s.SOAPURL, "-rest-url", "https://user:pw@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				remove := f.s.Inject(*tc.fault)
				defer remove()
			}
			p := &inProc{env: tc.env}
			code, _, stderr := p.run(tc.args...)
			require.NotEqual(t, 0, code, "the case must fail")
			require.NotEmpty(t, stderr)
			for _, bad := range []string{"ecgrid: ecgrid:", ": ecgrid: ", "New: ", ".;", `.";`, "..", ": :", ";;", "; ;"} {
				assert.NotContains(t, stderr, bad, "stutter %q in:\n%s", bad, stderr)
			}
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if strings.HasPrefix(line, "ecgrid") {
					assert.Equal(t, 1, strings.Count(line, "ecgrid "+tc.args[0]), "one prefix per line: %q", line)
				}
			}
			assert.LessOrEqual(t, strings.Count(stderr, "not rotated"), 1, "said twice:\n%s", stderr)
			assert.LessOrEqual(t, strings.Count(stderr, "nothing changed on the server"), 1, "said twice:\n%s", stderr)
			assertNoSecret(t, "stderr", stderr, f.adminKey, f.userKey, userPassword, wrongPassword)
		})
	}
}

// TestLibMsg checks the prefix and sentence-end clean-up on its own.
func TestLibMsg(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ecgrid: New: WithRESTURL: bad":                 "WithRESTURL: bad",
		`ecgrid: Op: the service says "Nope."; the key`: `Op: the service says "Nope." The key`,
		"ecgrid: a; b":            "a; b",
		"x. ; y":                  "x. ; y",
		"done.; next":             "done. Next",
		`ecgrid: "Why?"; because`: `"Why?" Because`,
	} {
		assert.Equal(t, want, string(libMsg(errors.New(in))), in)
	}
}
