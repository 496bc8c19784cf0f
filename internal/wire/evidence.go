package wire

import (
	"context"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
)

// Evidence records what an HTTP request went through, through the
// httptrace hooks of its context: whether the client started to look for a
// connection (proof that the hooks are live for this request) and whether it
// got one (after which bytes of the request may have been written).
type Evidence struct {
	// state is the generation of the request in its high 32 bits (a pooled
	// Evidence serves one request after another) and the flags below.
	state atomic.Uint64
	trace httptrace.ClientTrace
}

const (
	askedConn uint64 = 1 << iota // GetConn fired: the hooks are live
	gotConn                      // GotConn fired: the request may be on the wire

	flags = 1<<32 - 1 // the low half of state
)

// evidences maps the trace of every pooled Evidence to it, so that the
// default transport's dialer can tell whether the request it dials for
// still needs a connection.
var evidences sync.Map // *httptrace.ClientTrace -> *Evidence

func newEvidence(register bool) *Evidence {
	e := &Evidence{}
	e.trace.GetConn = func(string) { e.state.Or(askedConn) }
	e.trace.GotConn = func(httptrace.GotConnInfo) { e.state.Or(gotConn) }
	if register {
		evidences.Store(&e.trace, e)
	}
	return e
}

var evidencePool = sync.Pool{New: func() any { return newEvidence(true) }}

// Trace returns a context that reports to an Evidence, and the Evidence.
// Call Release once an answer has come.
func Trace(ctx context.Context) (context.Context, *Evidence) {
	if httptrace.ContextClientTrace(ctx) != nil {
		// The caller traces too: WithClientTrace composes the two traces
		// into ours, so it can't be a pooled one.
		e := newEvidence(false)
		return httptrace.WithClientTrace(ctx, &e.trace), e
	}
	e := evidencePool.Get().(*Evidence)
	e.state.Store((e.state.Load()>>32 + 1) << 32) // a new generation, no flags
	return httptrace.WithClientTrace(ctx, &e.trace), e
}

// NotSent reports whether there is positive evidence that no byte of the
// request reached the network: the client looked for a connection and never
// got one (a failed dial, DNS lookup, proxy CONNECT or TLS handshake, or a
// wait for a connection that ended). Without that evidence — the hooks never
// fired because a RoundTripper dropped the context, or a connection was
// obtained — the request may have been sent.
func (e *Evidence) NotSent() bool { return e.state.Load()&flags == askedConn }

// Release returns e to the pool. Call it only once an answer has come: the
// request is then over, and its hooks don't fire again.
func (e *Evidence) Release() {
	if e != nil {
		evidencePool.Put(e)
	}
}

// waiting returns a function reporting whether the request behind ctx, as
// it is now, still waits for a connection; ok is false when ctx carries no
// Evidence.
func waiting(ctx context.Context) (still func() bool, ok bool) {
	tr := httptrace.ContextClientTrace(ctx)
	if tr == nil {
		return nil, false
	}
	v, found := evidences.Load(tr)
	if !found {
		return nil, false
	}
	e := v.(*Evidence)
	gen := e.state.Load() >> 32
	return func() bool {
		s := e.state.Load()
		return s>>32 == gen && s&gotConn == 0
	}, true
}
