package ecgrid

import (
	"errors"
	"testing"
	"time"
)

// TestTransportErrorOfAnotherType: an error of a type the transports never
// return proves nothing, so its outcome is unknown.
func TestTransportErrorOfAnotherType(t *testing.T) {
	for _, op := range []string{opGenerate, opGet} {
		e := transportError(&request{op: op, userID: 42, transport: REST}, errors.New("something else"))
		if e.Outcome != OutcomeUnknown || e.Kind != ErrServer {
			t.Errorf("%s: outcome %v kind %v, want unknown, ErrServer", op, e.Outcome, e.Kind)
		}
	}
}

// TestDefaultBackoff checks the default delay: it doubles from MinBackoff
// up to MaxBackoff, with jitter in [d/2, d], and is never less than what
// the service asked for.
func TestDefaultBackoff(t *testing.T) {
	p := DefaultRetryPolicy()
	p.MinBackoff, p.MaxBackoff = 100*time.Millisecond, 1*time.Second
	for _, c := range []struct {
		retry      int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{1, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 0, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 0, 200 * time.Millisecond, 400 * time.Millisecond},
		{5, 0, 500 * time.Millisecond, 1 * time.Second}, // capped at MaxBackoff
		{9, 0, 500 * time.Millisecond, 1 * time.Second},
		{1, 3 * time.Second, 3 * time.Second, 3 * time.Second}, // Retry-After wins
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.delay(c.retry, c.retryAfter)
			if d < c.lo || d > c.hi {
				t.Fatalf("delay(%d, %s) = %s, want within [%s, %s]", c.retry, c.retryAfter, d, c.lo, c.hi)
			}
			seen[d] = true
		}
		if c.lo != c.hi && len(seen) < 10 {
			t.Errorf("delay(%d) took %d distinct values in 200 draws: no jitter", c.retry, len(seen))
		}
	}
}
