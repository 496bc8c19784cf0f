package soap_test

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"sync"
	"testing"

	"github.com/ecgridkit/ecgrid/soap"
)

// TestCallersTraceStaysWithItsCall: a caller's own httptrace hooks see
// their call only. The client composes its trace with the caller's; were
// that trace reused for a later call, the caller's hooks would fire for it.
func TestCallersTraceStaysWithItsCall(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r request) {
		_, _ = w.Write([]byte(resultDoc(soap.V11, soap.DefaultNamespace, r.Op, newKey)))
	})
	c := newClient(t, soap.Config{URL: s.URL})
	var (
		mu    sync.Mutex
		fired int
	)
	trace := &httptrace.ClientTrace{WroteHeaderField: func(string, []string) {
		mu.Lock()
		defer mu.Unlock()
		fired++
	}}
	// Several rounds: under the race detector sync.Pool drops some of what
	// it is given.
	for round := 0; round < 10; round++ {
		if _, err := c.GenerateAPIKey(httptrace.WithClientTrace(context.Background(), trace), sessionID, 42); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		before := fired
		mu.Unlock()
		if before == 0 {
			t.Fatal("the caller's hook did not fire for its own call")
		}
		for i := 0; i < 3; i++ {
			if _, err := c.UserGetAPIKey(context.Background(), apiKey, 42); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		after := fired
		mu.Unlock()
		if after != before {
			t.Fatalf("round %d: the caller's hook fired %d times for other calls", round, after-before)
		}
	}
}
