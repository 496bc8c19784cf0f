package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireNode returns the path of node, or skips the test (fails it under
// CI=true) when Node.js or interop/node_modules is missing.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "Node.js (node) is not on PATH"
	default:
		if _, err := os.Stat(filepath.Join("node_modules", "soap", "package.json")); err != nil {
			missing = "interop/node_modules/soap is missing"
		}
	}
	if missing == "" {
		return node
	}
	msg := missing + ": install Node.js 20.19+ and run `cd interop && npm ci`"
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + " (CI=true: the interop tests must run)")
	}
	t.Skip(msg)
	return ""
}

// lockedBuffer collects a child's stderr for the test log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs server.js with the given user seeds (ID:LEVEL:KEY) and
// returns its base URL. The process is stopped in t.Cleanup: its stdin is
// closed (server.js exits on that), and it is killed if it lingers.
func startServer(t *testing.T, seeds ...string) string {
	t.Helper()
	node := requireNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, node, append([]string{"server.js"}, seeds...)...)
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(lockedBuffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start node server.js: %v", err)
	}
	// One goroutine owns stdout: the first line is the URL, the rest is
	// drained; Wait comes after the last read, as os/exec requires.
	line := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		r := bufio.NewReader(stdout)
		s, _ := r.ReadString('\n')
		line <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, r)
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		cancel()
		if s := stderr.String(); s != "" {
			t.Logf("server.js stderr:\n%s", s)
		}
	})

	select {
	case s := <-line:
		if !strings.HasPrefix(s, "http://127.0.0.1:") {
			t.Fatalf("server.js printed %q, not its URL; stderr:\n%s", s, stderr.String())
		}
		return s
	case <-time.After(20 * time.Second):
		t.Fatalf("server.js did not print its URL in 20s; stderr:\n%s", stderr.String())
	}
	return ""
}

// runClient runs client.js with args and returns its stdout.
func runClient(t *testing.T, args ...string) []byte {
	t.Helper()
	node := requireNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"client.js"}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node client.js: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	if stderr.Len() > 0 {
		t.Logf("client.js stderr:\n%s", stderr.String())
	}
	return stdout.Bytes()
}

// recorder is an http.RoundTripper that keeps the last exchange's bytes, so a
// failure can show exactly what the SDK sent and what it got.
type recorder struct {
	mu       sync.Mutex
	req, res []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s\n", req.Method, req.URL.Path)
	_ = req.Header.Write(&head)
	reqDump := append(head.Bytes(), append([]byte("\n"), reqBody...)...)
	if err != nil {
		r.set(reqDump, []byte(err.Error()))
		return nil, err
	}
	b, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var rh bytes.Buffer
	fmt.Fprintf(&rh, "%s\n", resp.Status)
	_ = resp.Header.Write(&rh)
	r.set(reqDump, append(rh.Bytes(), append([]byte("\n"), b...)...))
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
}

func (r *recorder) set(req, res []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.req, r.res = req, res
}

// String shows the last exchange.
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("--- request ---\n%s\n--- response ---\n%s", r.req, r.res)
}
