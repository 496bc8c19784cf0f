package rest_test

import (
	"context"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"

	"github.com/ecgridkit/ecgrid/rest"
)

// TestCallersTraceStaysWithItsCall: a caller's own httptrace hooks see
// their call only. The client composes its trace with the caller's; were
// that trace reused for a later call, the caller's hooks would see the
// other call's headers, credential included.
func TestCallersTraceStaysWithItsCall(t *testing.T) {
	s := newServer(t, reply(200, success(`"`+newKey+`"`)))
	c := newClient(t, s.URL)
	const otherKey = "AK-other-call-fedcba9876543210"
	var (
		mu     sync.Mutex
		fired  int
		leaked []string
	)
	trace := &httptrace.ClientTrace{WroteHeaderField: func(key string, value []string) {
		mu.Lock()
		defer mu.Unlock()
		fired++
		if strings.Contains(strings.Join(value, " "), otherKey) {
			leaked = append(leaked, key)
		}
	}}
	// Several rounds: under the race detector sync.Pool drops some of what
	// it is given.
	for round := 0; round < 10; round++ {
		if _, err := c.GenerateAPIKey(httptrace.WithClientTrace(context.Background(), trace), byKey, 42); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		before := fired
		mu.Unlock()
		if before == 0 {
			t.Fatal("the caller's hook did not fire for its own call")
		}
		for i := 0; i < 3; i++ {
			if _, err := c.GenerateAPIKey(context.Background(), rest.Auth{APIKey: otherKey}, 42); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		after, l := fired, leaked
		mu.Unlock()
		if after != before || len(l) != 0 {
			t.Fatalf("round %d: the caller's hook fired %d times for other calls; it saw their key in %q", round, after-before, l)
		}
	}
}
