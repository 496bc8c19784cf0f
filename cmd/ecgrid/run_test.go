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
	"strings"
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

func TestConfirmOnTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		answer string
		want   int
	}{
		{"y\n", 0}, {"yes\n", 0}, {"Y\n", 0}, {" YES \r\n", 0}, {"y", 0},
		{"n\n", 2}, {"no\n", 2}, {"\n", 2}, {"", 2}, {"yess\n", 2}, {"sure\n", 2},
	} {
		t.Run(strings.TrimSpace(tc.answer), func(t *testing.T) {
			t.Parallel()
			s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
			defer s.Close()
			key, _ := s.Key(42)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"apikey", "generate", "-user", "42", "-rest-url", s.URL},
				strings.NewReader(tc.answer), &stdout, &stderr,
				envOf(map[string]string{envAPIKey: key}), func() bool { return true })
			assert.Equal(t, tc.want, code, stderr.String())
			assert.Contains(t, stderr.String(), "[y/N]")
			assertNoSecret(t, "stderr", stderr.String(), key)
			cur, _ := s.Key(42)
			if tc.want == 0 {
				assert.Equal(t, cur+"\n", stdout.String())
				assert.NotEqual(t, key, cur)
			} else {
				assert.Empty(t, stdout.String())
				assert.Equal(t, key, cur)
				assert.Empty(t, s.Requests(), "nothing is sent without confirmation")
			}
		})
	}
}

// TestInterruptAtPrompt cancels the context (as SIGINT does) while the
// prompt waits for an answer: exit 2, nothing sent.
func TestInterruptAtPrompt(t *testing.T) {
	t.Parallel()
	s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
	defer s.Close()
	key, _ := s.Key(42)
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"apikey", "generate", "-user", "42", "-rest-url", s.URL},
		pr, &stdout, &stderr, envOf(map[string]string{envAPIKey: key}), func() bool { return true })
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr.String(), "interrupted")
	assert.Empty(t, stdout.String())
	assert.Empty(t, s.Requests())
}

// TestYesSkipsPrompt: with -yes, a terminal is not asked and stdin not read.
func TestYesSkipsPrompt(t *testing.T) {
	t.Parallel()
	s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42}))
	defer s.Close()
	key, _ := s.Key(42)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"apikey", "generate", "--yes", "--user", "42", "--rest-url", s.URL},
		failingReader{t}, &stdout, &stderr, envOf(map[string]string{envAPIKey: key}), func() bool { return true })
	require.Equal(t, 0, code, stderr.String())
	cur, _ := s.Key(42)
	assert.Equal(t, cur+"\n", stdout.String())
	assert.Empty(t, stderr.String())
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
	w.printf("a %s b %s c\n", "topsecret", "xsess-1x")
	assert.Equal(t, "a [redacted] b x[redacted]x c\n", b.String())
}

func TestRecoveryCommand(t *testing.T) {
	t.Parallel()
	f := &keyFlags{transport: "rest", restURL: ecgrid.DefaultRESTURL, soapURL: ecgrid.DefaultSOAPURL, soapVersion: "1.1"}
	assert.Equal(t, "ecgrid apikey get -user 42", recoveryCommand(42, f))
	f.transport, f.soapVersion, f.soapURL = "soap", "1.2", "https://h.example/a b"
	assert.Equal(t, "ecgrid apikey get -user 7 -transport soap -soap-url 'https://h.example/a b' -soap-version 1.2", recoveryCommand(7, f))
}

func TestMask(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "abcd…", mask("abcdef12-3456-7890-abcd-ef1234567890"))
	assert.Equal(t, "****", mask("short"))
}
