// This file asks for confirmation on a terminal.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxAnswer is the longest answer line the prompt reads; a longer one
// declines, and nothing more is read.
const maxAnswer = 64

// stdinIsTerminal reports whether stdin is a terminal, with the ioctl that
// only a terminal answers: a character device such as /dev/null or /dev/zero
// is not one.
func stdinIsTerminal() bool {
	return term.IsTerminal(int(os.Stdin.Fd()))
}

// errInterrupted is confirm's error when the context ends first.
var errInterrupted = errors.New("interrupted")

// confirm writes question and " [y/N]: " to out and reads one answer line
// from stdin: y or yes (any case, surrounding spaces ignored) accepts;
// anything else declines, including end of input and a line longer than
// maxAnswer bytes. It reads at most maxAnswer+1 bytes, so an endless stdin
// can't hold it. It fails with errInterrupted if ctx ends first (SIGINT,
// SIGTERM); the reading goroutine is then left blocked on stdin until the
// process exits.
func confirm(ctx context.Context, stdin io.Reader, out secretWriter, question string) (bool, error) {
	out.printf("%s [y/N]: ", question)
	type answer struct {
		line     string
		complete bool // ended by a newline or end of input, within the bound
	}
	ch := make(chan answer, 1)
	go func() {
		line, ok := readAnswer(stdin)
		ch <- answer{line, ok}
	}()
	select {
	case <-ctx.Done():
		out.printf("\n")
		return false, fmt.Errorf("%w: %w", errInterrupted, context.Cause(ctx))
	case a := <-ch:
		if !strings.HasSuffix(a.line, "\n") {
			out.printf("\n") // end of input or too long: end the prompt's line
		}
		if !a.complete {
			return false, nil
		}
		switch strings.ToLower(strings.TrimSpace(a.line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}

// readAnswer reads one line of at most maxAnswer bytes, newline included,
// byte by byte so that nothing past it is consumed. ok is false when the
// line is longer.
func readAnswer(r io.Reader) (line string, ok bool) {
	var buf [maxAnswer + 1]byte
	n, empty := 0, 0
	for n < len(buf) && empty < 100 { // a reader that keeps returning (0, nil) gives no answer
		m, err := r.Read(buf[n : n+1])
		if m == 0 {
			empty++
		}
		n += m
		if m == 1 && buf[n-1] == '\n' || err != nil {
			break
		}
	}
	return string(buf[:n]), n <= maxAnswer
}
