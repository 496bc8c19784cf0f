// Tests of "ecgrid fake-server" and "ecgrid demo", run as processes.

package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFakeServer(t *testing.T) {
	t.Parallel()
	const (
		adminKey = "a1a1a1a1-0000-4000-8000-adminadmin01"
		userKey  = "b2b2b2b2-0000-4000-8000-useruseruse2"
	)
	cmd := newCmd(t, nil, "fake-server", "-addr", "127.0.0.1:0",
		"-user", "1="+adminKey, "--admin", "1", "-user", "42="+userKey, "-admin", "5")
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout = pw
	require.NoError(t, cmd.start())
	pw.Close()

	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var restURL, soapURL string
	var stdout []string
	deadline := time.After(15 * time.Second)
	for restURL == "" || soapURL == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "stdout closed early; stderr:\n%s", cmd.stderr.String())
			stdout = append(stdout, l)
			if v, ok := strings.CutPrefix(l, "rest-url: "); ok {
				restURL = v
			}
			if v, ok := strings.CutPrefix(l, "soap-url: "); ok {
				soapURL = v
			}
		case <-deadline:
			t.Fatalf("no URL lines on stdout; stderr:\n%s", cmd.stderr.String())
		}
	}
	assert.True(t, strings.HasPrefix(restURL, "http://127.0.0.1:"), restURL)
	assert.Equal(t, restURL+"/v4.1/prod/ECGridOS.asmx", soapURL)

	// A plain REST GET with the admin's key reads user 42's key.
	req, err := http.NewRequest(http.MethodGet, restURL+"/v2/users/key/42", nil)
	require.NoError(t, err)
	req.Header.Set("X-API-Key", adminKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var env struct {
		Success bool   `json:"success"`
		Data    string `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, env.Success)
	assert.Equal(t, userKey, env.Data)

	// The CLI talks to it over both APIs.
	r := runBin(t, []string{"ECGRID_API_KEY=" + adminKey}, "", "apikey", "generate", "-user", "42", "-yes", "-transport", "soap", "-soap-url", soapURL)
	require.Equal(t, 0, r.code, r.stderr)
	newKey := strings.TrimSuffix(r.stdout, "\n")
	assert.NotEqual(t, userKey, newKey)
	r = runBin(t, []string{"ECGRID_API_KEY=" + adminKey}, "", "apikey", "get", "-user", "42", "-rest-url", restURL)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, newKey+"\n", r.stdout)
	// User 42 may not read its own key (that needs NetworkAdmin), but its new key works.
	r = runBin(t, []string{"ECGRID_API_KEY=" + newKey}, "", "whoami", "-rest-url", restURL)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"userId":42`)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code := cmd.wait(t, 5*time.Second)
	assert.Equal(t, 0, code, cmd.stderr.String())
	for l := range lines {
		stdout = append(stdout, l)
	}
	assert.Len(t, stdout, 2, "stdout holds the two URL lines only: %q", stdout)
	all := strings.Join(stdout, "\n") + cmd.stderr.String()
	assertNoSecret(t, "fake-server output", all, adminKey, userKey, newKey)
	assert.False(t, guidRE.MatchString(all), "output holds a GUID-shaped string (the random key of admin 5?)")
	assert.Contains(t, cmd.stderr.String(), "user 5")
}

func TestFakeServerBadFlags(t *testing.T) {
	t.Parallel()
	const key = "c3c3c3c3-0000-4000-8000-secretsecret"
	for _, args := range [][]string{
		{"-user", "42=" + key, "-user", "42=" + key + "x"}, // the same ID twice
		{"-user", "42=" + key, "-user", "43=" + key},       // the same key twice
		{"-user", "42"},         // no key
		{"-user", "0=" + key},   // bad ID
		{"-user", "42= " + key}, // white space
		{"-admin", "x"},
		{"-addr", "nocolon"},
		{"stray"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, "", append([]string{"fake-server", "-addr", "127.0.0.1:0"}, args...)...)
			assert.Equal(t, 2, r.code, r.stderr)
			assert.Empty(t, r.stdout)
			assertNoSecret(t, "stderr", r.stderr, key)
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
