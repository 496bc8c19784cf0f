package wire

import (
	"context"
	"net/http/httptrace"
	"testing"
)

// TestEvidenceOfATracedCallIsNotPooled: an Evidence whose trace was
// composed with the caller's hooks never comes back from Trace after its
// Release, and the dialer still finds it.
func TestEvidenceOfATracedCallIsNotPooled(t *testing.T) {
	callers := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{WroteHeaderField: func(string, []string) {}})
	for i := 0; i < 10; i++ {
		ctx, e := Trace(callers)
		if _, ok := waiting(ctx); !ok {
			t.Fatal("the dialer does not find the Evidence of a traced call")
		}
		e.Release()
		for j := 0; j < 3; j++ {
			_, next := Trace(context.Background())
			if next == e {
				t.Fatal("the Evidence of a traced call came back from the pool")
			}
			if next.trace.WroteHeaderField != nil {
				t.Fatal("a pooled Evidence carries a caller's hook")
			}
			next.Release()
		}
	}
}

// TestWaitingFollowsTheRequest: the dialer's view of a request reads the
// Evidence of the context, and ends with the request's generation.
func TestWaitingFollowsTheRequest(t *testing.T) {
	if _, ok := waiting(context.Background()); ok {
		t.Fatal("waiting found an Evidence in a context without one")
	}
	ctx, e := Trace(context.Background())
	still, ok := waiting(ctx)
	if !ok || !still() {
		t.Fatalf("a fresh request: ok %v, still waiting %v", ok, ok && still())
	}
	httptrace.ContextClientTrace(ctx).GotConn(httptrace.GotConnInfo{})
	if still() {
		t.Fatal("still waiting after GotConn")
	}
	e.Release()
	ctx2, e2 := Trace(context.Background())
	defer e2.Release()
	if _, ok := waiting(ctx2); !ok {
		t.Fatal("the dialer does not find a reused Evidence")
	}
	if e2 == e && still() {
		t.Fatal("an earlier request's view follows the next request of its Evidence")
	}
}
