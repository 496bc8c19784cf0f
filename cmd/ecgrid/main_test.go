// Tests of the real ecgrid binary: TestMain builds it once, and the tests run
// it against fake servers from ecgridtest with a controlled environment.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// binPath is the ecgrid binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ecgrid-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "ecgrid")
	if runtime.GOOS == "windows" {
		binPath += ".exe"
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	build := exec.Command(goTool, "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "TestMain: building the ecgrid binary:", err)
		return 1
	}
	return m.Run()
}

// result is what one run of the binary produced.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// runBin runs the binary with exactly env as its environment (nothing is
// inherited, so no ECGRID_* variable leaks in) and stdin as a pipe.
func runBin(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	return runBinFrom(t, strings.NewReader(stdin), env, args...)
}

// runBinFrom is runBin with any reader as stdin: an *os.File (a device, a
// terminal) is handed to the process as it is, anything else through a pipe.
func runBinFrom(t *testing.T, stdin io.Reader, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append([]string{}, env...) // non-nil: an empty environment, not the test's
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running ecgrid %v: %v (stderr %q)", args, err, r.stderr)
	}
	return r
}

// guidRE matches a GUID-shaped key, such as the fake server hands out.
var guidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// assertNoSecret fails if text contains any of the non-empty secrets.
func assertNoSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret (%.4s…): %q", where, s, strings.ReplaceAll(text, s, "<SECRET>"))
		}
	}
}

// syncBuffer is a bytes.Buffer that a running process may write while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// procCmd is the binary running in the background, its output collected.
type procCmd struct {
	*exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

// newCmd prepares the binary with exactly env as its environment and an
// empty pipe as stdin; t.Cleanup kills it if a test leaves it running.
func newCmd(t *testing.T, env []string, args ...string) *procCmd {
	t.Helper()
	c := &procCmd{Cmd: exec.Command(binPath, args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	c.Env = append([]string{}, env...)
	c.Stdin = strings.NewReader("")
	c.Stdout, c.Stderr = c.stdout, c.stderr
	t.Cleanup(func() {
		if c.Process != nil {
			select {
			case <-c.done:
			default:
				_ = c.Process.Kill()
				<-c.done
			}
		}
	})
	return c
}

// start starts the process and a goroutine that waits for it.
func (c *procCmd) start() error {
	if err := c.Start(); err != nil {
		close(c.done)
		return err
	}
	go func() {
		c.err = c.Wait()
		close(c.done)
	}()
	return nil
}

// wait waits up to d for the process to exit and returns its exit code; on
// timeout it kills the process and fails the test.
func (c *procCmd) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		_ = c.Process.Kill()
		<-c.done
		t.Fatalf("the process did not exit within %s; stderr:\n%s", d, c.stderr.String())
	}
	var ee *exec.ExitError
	if c.err != nil && !errors.As(c.err, &ee) {
		t.Fatalf("waiting for the process: %v", c.err)
	}
	return c.ProcessState.ExitCode()
}
