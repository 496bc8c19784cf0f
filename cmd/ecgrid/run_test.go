// In-process tests of run and its helpers: the confirmation prompt on a
// terminal (which a test can't give the real binary), the exit-code mapping
// and the redaction of stderr.

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// envOf returns an env function over the map.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// inProc is one in-process run of the command.
type inProc struct {
	stdin    io.Reader                                    // default: empty
	env      map[string]string                            // the environment
	terminal bool                                         // whether stdin counts as a terminal
	ctx      func() (context.Context, context.CancelFunc) // default: context.Background
	// netCalls counts the calls of netContext.
	netCalls int
}

// run runs the command with args and returns its exit code and output.
func (p *inProc) run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	stdin := p.stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	c := &cli{
		stdin: stdin, stdout: &out, stderr: &errOut,
		getenv:     envOf(p.env),
		isTerminal: func() bool { return p.terminal },
		netContext: func() (context.Context, context.CancelFunc) {
			p.netCalls++
			if p.ctx != nil {
				return p.ctx()
			}
			return context.WithCancel(context.Background())
		},
	}
	code = run(c, args)
	return code, out.String(), errOut.String()
}

func TestConfirmOnTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		answer string
		want   int
	}{
		{"y\n", 0}, {"yes\n", 0}, {"Y\n", 0}, {" YES \r\n", 0}, {"y", 0},
		{"n\n", 1}, {"no\n", 1}, {"\n", 1}, {"", 1}, {"yess\n", 1}, {"sure\n", 1},
		// The answer line is bounded: 64 bytes, newline included.
		{strings.Repeat(" ", 61) + "y\r\n", 0}, {strings.Repeat(" ", 62) + "y\r\n", 1},
		{strings.Repeat("y", 100), 1}, {"y" + strings.Repeat(" ", 64) + "\n", 1},
	} {
		t.Run(strings.TrimSpace(tc.answer), func(t *testing.T) {
			t.Parallel()
			s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
			defer s.Close()
			key, _ := s.Key(42)
			p := &inProc{stdin: strings.NewReader(tc.answer), env: map[string]string{envAPIKey: key}, terminal: true}
			code, stdout, stderr := p.run("apikey", "generate", "-user", "42", "-rest-url", s.URL)
			assert.Equal(t, tc.want, code, stderr)
			assert.Contains(t, stderr, "[y/N]")
			assertNoSecret(t, "stderr", stderr, key)
			cur, _ := s.Key(42)
			if tc.want == 0 {
				assert.Equal(t, cur+"\n", stdout)
				assert.NotEqual(t, key, cur)
			} else {
				assert.Contains(t, stderr, "not confirmed: nothing was sent")
				assert.Contains(t, stderr, "the old key still works")
				assert.Empty(t, stdout)
				assert.Equal(t, key, cur)
				assert.Empty(t, s.Requests(), "nothing is sent without confirmation")
			}
		})
	}
}

// TestInterruptAtPrompt cancels the context (as SIGINT does) while the
// prompt waits for an answer: exit 1, nothing sent.
func TestInterruptAtPrompt(t *testing.T) {
	t.Parallel()
	s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
	defer s.Close()
	key, _ := s.Key(42)
	pr, pw := io.Pipe()
	defer pw.Close()
	p := &inProc{stdin: pr, env: map[string]string{envAPIKey: key}, terminal: true,
		ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}}
	code, stdout, stderr := p.run("apikey", "generate", "-user", "42", "-rest-url", s.URL)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "interrupted: nothing was sent")
	assert.Empty(t, stdout)
	assert.Empty(t, s.Requests())
	cur, _ := s.Key(42)
	assert.Equal(t, key, cur)
}

// TestYesSkipsPrompt: with -yes, a terminal is not asked and stdin not read.
func TestYesSkipsPrompt(t *testing.T) {
	t.Parallel()
	s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
	defer s.Close()
	key, _ := s.Key(42)
	p := &inProc{stdin: failingReader{t}, env: map[string]string{envAPIKey: key}, terminal: true}
	code, stdout, stderr := p.run("apikey", "generate", "--yes", "--user", "42", "--rest-url", s.URL)
	require.Equal(t, 0, code, stderr)
	cur, _ := s.Key(42)
	assert.Equal(t, cur+"\n", stdout)
	assert.Empty(t, stderr)
}

type failingReader struct{ t *testing.T }

func (r failingReader) Read([]byte) (int, error) {
	r.t.Error("stdin was read")
	return 0, io.EOF
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	local := &ecgrid.Error{Op: "GenerateAPIKey", Kind: ecgrid.ErrInvalidInput}
	server400 := &ecgrid.Error{Op: "GenerateAPIKey", Kind: ecgrid.ErrInvalidInput, StatusCode: http.StatusBadRequest}
	unknown := &ecgrid.Error{Op: "GenerateAPIKey", Kind: ecgrid.ErrServer, StatusCode: 500, Outcome: ecgrid.OutcomeUnknown}
	redirect := &ecgrid.Error{Op: "GenerateAPIKey", Kind: ecgrid.ErrRedirect, StatusCode: 307}
	for _, tc := range []struct {
		name     string
		generate bool
		err      error
		want     int
	}{
		{"generate local invalid input", true, local, 2},
		{"get local invalid input", false, local, 2},
		{"generate server 400", true, server400, 1},
		{"get server 400", false, server400, 1},
		{"generate unknown", true, unknown, 3},
		{"get marked unknown is still 1", false, unknown, 1},
		{"generate wrapped unknown", true, errors.Join(errors.New("ctx"), unknown), 3},
		{"generate redirect", true, redirect, 1},
		{"get redirect", false, redirect, 1},
		{"generate foreign error", true, errors.New("boom"), 3},
		{"get foreign error", false, errors.New("boom"), 1},
	} {
		assert.Equal(t, tc.want, exitCode(tc.generate, tc.err), tc.name)
	}
}

func TestSecretWriterRedacts(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := secretWriter{w: &b, secrets: []string{"", "topsecret", "sess-1"}}
	// Text from the library (libText, or an error) is redacted, short secrets
	// included; the CLI's own format and arguments are left alone.
	w.printf("a %s b %s c %s %d\n", libText("topsecret"), errors.New("xsess-1x"), "sess-1", 1)
	assert.Equal(t, "a [redacted] b x[redacted]x c sess-1 1\n", b.String())
}

func TestRecoveryCommand(t *testing.T) {
	t.Parallel()
	f := &netFlags{transport: "rest", restURL: ecgrid.DefaultRESTURL, soapURL: ecgrid.DefaultSOAPURL, soapVersion: "1.1"}
	assert.Equal(t, "ecgrid apikey get -user 42", recoveryCommand("42", f))
	f.transport, f.soapVersion, f.soapURL = "soap", "1.2", "https://h.example/a b"
	assert.Equal(t, "ecgrid apikey get -user 7 -transport soap -soap-url 'https://h.example/a b' -soap-version 1.2", recoveryCommand("7", f))
}

func TestMask(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "abcd…", mask("abcdef12-3456-7890-abcd-ef1234567890"))
	assert.Equal(t, "****", mask("short"))
}

// endlessReader is an endless stdin, as /dev/zero is, counting what is read.
type endlessReader struct {
	b    byte
	read atomic.Int64
}

// endlessLimit is where an endless stdin gives up, so that a prompt that
// reads without bound fails the test (it read too much) instead of
// hanging it.
const endlessLimit = 16 << 20

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.read.Load() >= endlessLimit {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = r.b
	}
	r.read.Add(int64(len(p)))
	return len(p), nil
}

// TestPromptReadIsBounded: on a terminal that sends no newline, the prompt
// reads one bounded line, declines and returns at once.
func TestPromptReadIsBounded(t *testing.T) {
	t.Parallel()
	for _, b := range []byte{0, 'y', '\r'} {
		s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
		key, _ := s.Key(42)
		in := &endlessReader{b: b}
		p := &inProc{stdin: in, env: map[string]string{envAPIKey: key}, terminal: true}
		start := time.Now()
		code, stdout, stderr := p.run("apikey", "generate", "-user", "42", "-rest-url", s.URL)
		assert.Equal(t, 1, code, stderr)
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.LessOrEqual(t, in.read.Load(), int64(maxAnswer+1), "bytes read from stdin")
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "not confirmed")
		assert.Empty(t, s.Requests())
		s.Close()
	}
}

// TestShortSecretKeepsCLIText: a credential too short to be a real key (here
// "k") must not garble the CLI's own words or the user's arguments; only text
// from the library is redacted.
func TestShortSecretKeepsCLIText(t *testing.T) {
	t.Parallel()
	p := &inProc{env: map[string]string{envAPIKey: "k"}}
	code, _, stderr := p.run("apikey", "get", "-user", "1", "-rest-url", "http://bank.example/")
	assert.Equal(t, exitUsage, code)
	assert.True(t, strings.HasPrefix(stderr, "ecgrid apikey get: "), "stderr: %q", stderr)
	assert.NotContains(t, stderr, "api[redacted]ey")

	code, _, stderr = p.run("apikey", "get", "-user", "kk")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "ecgrid apikey get: -user \"kk\" is not a user ID: want an integer between 1 and "+
		strconv.Itoa(ecgrid.MaxUserID)+"\n", stderr)

	dir := t.TempDir()
	code, _, stderr = p.run("migrate", "-rotate", "-yes", "-out", filepath.Join(dir, "k", "key"), "-soap-url", "http://127.0.0.1:1/")
	assert.NotEqual(t, exitOK, code)
	assert.True(t, strings.HasPrefix(stderr, "ecgrid migrate: -out "), "stderr: %q", stderr)
	assert.Contains(t, stderr, filepath.Join(dir, "k", "key"))
}
