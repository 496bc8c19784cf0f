package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestWriteErrorTail(t *testing.T) {
	for _, c := range []struct {
		msg, problem string
		err          error
		status       int
		notSent      bool
		want         string
	}{
		{"m", "p", errors.New("a\nb"), 500, false, ` "m": p: a\nb`},
		{"", "", nil, 0, true, " (not sent)"},
		{"", "", errors.New("x"), 0, false, ": x (the request may have reached the service)"},
	} {
		var b strings.Builder
		WriteErrorTail(&b, c.msg, c.problem, c.err, c.status, c.notSent)
		if b.String() != c.want {
			t.Errorf("%q, want %q", b.String(), c.want)
		}
	}
}
