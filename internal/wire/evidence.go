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
	state atomic.Uint32
	trace httptrace.ClientTrace
}

const (
	askedConn uint32 = 1 << iota // GetConn fired: the hooks are live
	gotConn                      // GotConn fired: the request may be on the wire
)

var evidencePool = sync.Pool{New: func() any {
	e := &Evidence{}
	e.trace.GetConn = func(string) { e.state.Or(askedConn) }
	e.trace.GotConn = func(httptrace.GotConnInfo) { e.state.Or(gotConn) }
	return e
}}

// Trace returns a context that reports to a new Evidence, and the Evidence.
// Call Release when the request is over.
func Trace(ctx context.Context) (context.Context, *Evidence) {
	if httptrace.ContextClientTrace(ctx) != nil {
		// The caller traces too: WithClientTrace composes the two traces
		// into ours, so it can't be a pooled one.
		e := &Evidence{}
		e.trace.GetConn = func(string) { e.state.Or(askedConn) }
		e.trace.GotConn = func(httptrace.GotConnInfo) { e.state.Or(gotConn) }
		return httptrace.WithClientTrace(ctx, &e.trace), e
	}
	e := evidencePool.Get().(*Evidence)
	e.state.Store(0)
	return httptrace.WithClientTrace(ctx, &e.trace), e
}

// NotSent reports whether there is positive evidence that no byte of the
// request reached the network: the client looked for a connection and never
// got one (a failed dial, DNS lookup, proxy CONNECT or TLS handshake, or a
// wait for a connection that ended). Without that evidence — the hooks never
// fired because a RoundTripper dropped the context, or a connection was
// obtained — the request may have been sent.
func (e *Evidence) NotSent() bool { return e.state.Load() == askedConn }

// Release returns e to the pool. It must not be used afterwards, and the
// request's context must no longer be in use by the HTTP client.
func (e *Evidence) Release() {
	if e != nil {
		evidencePool.Put(e)
	}
}
