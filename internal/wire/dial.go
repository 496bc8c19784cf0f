package wire

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// PreferIdle is how long the default transport's dialer waits, before it
// opens one more connection to a host that already has some, for a
// connection of the pool to come free: when one does, the request takes it
// and the dial is dropped.
const PreferIdle = 5 * time.Millisecond

// MaxPreferIdle is how long the dialer waits instead when a connection is
// certain to come: the host has at least as many connections, open or being
// dialled, as there are requests under way, so one of them is held by no
// request. It is on its way back to the pool, or about to be connected;
// either takes a turn of a goroutine, which on a loaded machine can take
// longer than PreferIdle.
const MaxPreferIdle = 10 * PreferIdle

// errNotNeeded ends a dial whose request got a connection from the pool;
// nobody sees it.
var errNotNeeded = errors.New("the connection is no longer needed")

// dialer opens TCP connections and counts them per address. A request
// that would open another connection to an address that has some waits up
// to PreferIdle for one of them to come back to the pool. net/http's
// transport dials as soon as no connection is idle, and keeps the new
// connection when an old one comes back first: under many concurrent
// callers that opens connections faster than it reuses them. A cap on
// connections (MaxConnsPerHost) avoids that but queues callers behind it
// when the server is slow; the wait does neither.
type dialer struct {
	d    net.Dialer
	mu   sync.Mutex
	open map[string]int
}

func newDialer() *dialer {
	return &dialer{d: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, open: map[string]int{}}
}

// DialContext dials, after waiting for a free connection if it may.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := d.preferIdle(ctx, addr); err != nil {
		return nil, err
	}
	// Counted from now on: a request that looks while this dial is under
	// way sees the connection coming.
	d.count(addr, 1)
	c, err := d.d.DialContext(ctx, network, addr)
	if err != nil {
		d.count(addr, -1)
		return nil, err
	}
	return &countedConn{Conn: c, d: d, addr: addr}, nil
}

// preferIdle waits, when the request behind ctx goes to a host that has
// connections, for one of them to come free: PreferIdle, or up to
// MaxPreferIdle while one is certain to (see MaxPreferIdle), which it
// checks again as the wait goes on. It returns errNotNeeded when the
// request got a connection meanwhile, the context's error when it ended,
// and nil when the dial should go ahead.
func (d *dialer) preferIdle(ctx context.Context, addr string) error {
	still, ok := waiting(ctx)
	if !ok || d.count(addr, 0) == 0 {
		return nil
	}
	start := time.Now()
	tick := time.NewTicker(PreferIdle / 20)
	defer tick.Stop()
	for still() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if waited := time.Since(start); waited >= PreferIdle && still() &&
			(waited >= MaxPreferIdle || int64(d.count(addr, 0)) < inflight.Load()) {
			return nil
		}
	}
	return errNotNeeded
}

// count adds delta to the connections open or being dialled to addr and
// returns the count.
func (d *dialer) count(addr string, delta int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.open[addr] + delta
	if n <= 0 {
		delete(d.open, addr)
		return 0
	}
	d.open[addr] = n
	return n
}

// countedConn is a connection the dialer counts until it is closed.
type countedConn struct {
	net.Conn
	d      *dialer
	addr   string
	closed atomic.Bool
}

func (c *countedConn) Close() error {
	if !c.closed.Swap(true) {
		c.d.count(c.addr, -1)
	}
	return c.Conn.Close()
}
