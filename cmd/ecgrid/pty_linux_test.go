// Tests of the binary with stdin on a real terminal (a pseudo-terminal):
// the prompt is shown and its answer read.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openPTY opens a pseudo-terminal pair; it skips the test where there is
// none.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	unlock := int32(0)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skipf("unlocking the pseudo-terminal: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skipf("naming the pseudo-terminal: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// TestPromptOnTerminal runs the binary with stdin on a pseudo-terminal: it
// asks, and acts on the answer typed.
func TestPromptOnTerminal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		migrate bool
		answer  string
		want    int
	}{
		{"generate yes", false, "y\n", 0},
		{"generate no", false, "n\n", 1},
		{"generate too long", false, strings.Repeat("y", 300) + "\n", 1},
		{"migrate yes", true, "yes\n", 0},
		{"migrate no", true, "\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			master, slave := openPTY(t)
			go func() { // drain the echo, so that the terminal never blocks
				buf := make([]byte, 256)
				for {
					if _, err := master.Read(buf); err != nil {
						return
					}
				}
			}()
			file := filepath.Join(t.TempDir(), "key")
			var cmd *procCmd
			if tc.migrate {
				cmd = newCmd(t, envLogin(userLogin, userPassword)(f),
					"migrate", "-rotate", "-out", file, "-soap-url", f.s.SOAPURL, "-rest-url", f.s.URL)
			} else {
				cmd = newCmd(t, envAdmin(f), "apikey", "generate", "-user", "42", "-rest-url", f.s.URL)
			}
			cmd.Stdin = slave
			require.NoError(t, cmd.start())
			require.Eventually(t, func() bool { return strings.Contains(cmd.stderr.String(), "[y/N]") },
				10*time.Second, 10*time.Millisecond, "no prompt; stderr:\n%s", cmd.stderr.String())
			_, err := master.WriteString(tc.answer)
			require.NoError(t, err)
			code := cmd.wait(t, 15*time.Second)
			assert.Equal(t, tc.want, code, cmd.stderr.String())
			cur, _ := f.s.Key(42)
			if tc.want == 0 {
				assert.Equal(t, 1, f.s.Rotations(42))
				if tc.migrate {
					got, err := os.ReadFile(file)
					require.NoError(t, err)
					assert.Equal(t, cur+"\n", string(got))
					assert.Empty(t, cmd.stdout.String())
				} else {
					assert.Equal(t, cur+"\n", cmd.stdout.String())
				}
			} else {
				assert.Zero(t, f.s.Rotations(42))
				assert.Contains(t, cmd.stderr.String(), "not confirmed")
				assert.Empty(t, cmd.stdout.String())
			}
			assertNoSecret(t, "stderr", cmd.stderr.String(), f.adminKey, f.userKey, cur, userPassword)
			if tc.migrate {
				assert.Equal(t, 1, f.s.Logins())
				assert.Equal(t, 1, f.s.Logouts())
			}
		})
	}
}
