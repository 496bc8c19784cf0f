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
	// pooled is true for an Evidence the pool made. Only those go back to
	// it: the trace of any other was composed with the caller's hooks.
	pooled bool
}

const (
	askedConn uint64 = 1 << iota // GetConn fired: the hooks are live
	gotConn                      // GotConn fired: the request may be on the wire

	flags = 1<<32 - 1 // the low half of state
)

// evidenceKey is the context key under which Trace stores the Evidence, so
// that the default transport's dialer can tell whether the request it dials
// for still needs a connection.
type evidenceKey struct{}

func newEvidence(pooled bool) *Evidence {
	e := &Evidence{pooled: pooled}
	e.trace.GetConn = func(string) { e.state.Or(askedConn) }
	e.trace.GotConn = func(httptrace.GotConnInfo) { e.state.Or(gotConn) }
	return e
}

var evidencePool = sync.Pool{New: func() any { return newEvidence(true) }}

// inflight counts the requests under way in this process: traced and not
// yet released or dropped. The dialer compares it with the connections a
// host has (see MaxPreferIdle).
var inflight atomic.Int64

// Trace returns a context that reports to an Evidence, and the Evidence.
// Call Release once an answer has come, or Drop when none did.
func Trace(ctx context.Context) (context.Context, *Evidence) {
	inflight.Add(1)
	var e *Evidence
	if httptrace.ContextClientTrace(ctx) != nil {
		// The caller traces too: WithClientTrace composes the caller's
		// hooks into our trace, so this Evidence must never be pooled.
		e = newEvidence(false)
	} else {
		e = evidencePool.Get().(*Evidence)
		e.state.Store((e.state.Load()>>32 + 1) << 32) // a new generation, no flags
	}
	ctx = context.WithValue(ctx, evidenceKey{}, e)
	return httptrace.WithClientTrace(ctx, &e.trace), e
}

// NotSent reports whether there is positive evidence that no byte of the
// request reached the network: the client looked for a connection and never
// got one (a failed dial, DNS lookup, proxy CONNECT or TLS handshake, or a
// wait for a connection that ended). Without that evidence — the hooks never
// fired because a RoundTripper dropped the context, or a connection was
// obtained — the request may have been sent.
func (e *Evidence) NotSent() bool { return e.state.Load()&flags == askedConn }

// Release ends the request and returns e to the pool if the pool made it;
// an Evidence whose trace was composed with the caller's hooks is left to
// the garbage collector. Call it only once an answer has come (and its body
// is read): the request is then over, and its hooks don't fire again.
func (e *Evidence) Release() {
	if e == nil {
		return
	}
	inflight.Add(-1)
	if e.pooled {
		evidencePool.Put(e)
	}
}

// Drop ends a request that got no answer. e is not pooled: net/http may
// still fire its hooks.
func (e *Evidence) Drop() {
	if e != nil {
		inflight.Add(-1)
	}
}

// waiting returns a function reporting whether the request behind ctx, as
// it is now, still waits for a connection; ok is false when ctx carries no
// Evidence. The generation taken now tells a later request of a pooled
// Evidence from this one.
func waiting(ctx context.Context) (still func() bool, ok bool) {
	e, _ := ctx.Value(evidenceKey{}).(*Evidence)
	if e == nil {
		return nil, false
	}
	gen := e.state.Load() >> 32
	return func() bool {
		s := e.state.Load()
		return s>>32 == gen && s&gotConn == 0
	}, true
}
