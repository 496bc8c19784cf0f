package wire

import (
	"context"
	"errors"
	"net"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
	"time"
)

// listener accepts connections on loopback and counts them.
func listener(t *testing.T) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().String(), accepted
}

// TestDialerPrefersAFreedConnection: to a host that has connections, a dial
// waits; when its request gets a pooled connection meanwhile, no new one is
// opened. A request that gets none dials after PreferIdle; the first
// connection to a host is dialled at once.
func TestDialerPrefersAFreedConnection(t *testing.T) {
	addr, accepted := listener(t)
	d := newDialer()

	ctx, _ := Trace(context.Background())
	first, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if n := d.count(addr, 0); n != 1 {
		t.Fatalf("open connections: %d, want 1", n)
	}

	// The next request gets a connection of the pool while its dial waits.
	ctx, _ = Trace(context.Background())
	go func() {
		time.Sleep(PreferIdle / 5)
		httptrace.ContextClientTrace(ctx).GotConn(httptrace.GotConnInfo{})
	}()
	c, err := d.DialContext(ctx, "tcp", addr)
	if !errors.Is(err, errNotNeeded) || c != nil {
		t.Fatalf("dial for a request that got a pooled connection: %v, %v; want errNotNeeded", c, err)
	}

	// A request that gets none dials, after waiting.
	ctx, _ = Trace(context.Background())
	start := time.Now()
	second, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < PreferIdle {
		t.Errorf("dialled after %s, before PreferIdle (%s)", waited, PreferIdle)
	}
	if n := d.count(addr, 0); n != 2 {
		t.Errorf("open connections: %d, want 2", n)
	}
	second.Close()
	second.Close() // counted once
	if n := d.count(addr, 0); n != 1 {
		t.Errorf("open connections after a close: %d, want 1", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for accepted.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("the server accepted %d connections, want 2 (the dropped dial opened none)", n)
	}
}

// TestDialerWaitsForACertainConnection: when a host has at least as many
// connections as there are requests under way, one of them is held by no
// request and is coming back to the pool, so a dial waits up to
// MaxPreferIdle for it instead of PreferIdle; with more requests than
// connections it waits PreferIdle.
func TestDialerWaitsForACertainConnection(t *testing.T) {
	saved := inflight.Load()
	t.Cleanup(func() { inflight.Store(saved) })
	for _, tc := range []struct {
		name     string
		requests int64 // under way, this one included
		atLeast  time.Duration
	}{
		{"one connection, one request", 1, MaxPreferIdle},
		{"one connection, two requests", 2, PreferIdle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := listener(t)
			d := newDialer()
			first, err := d.DialContext(context.Background(), "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			ctx, _ := Trace(context.Background())
			inflight.Store(tc.requests)
			start := time.Now()
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if waited := time.Since(start); waited < tc.atLeast {
				t.Errorf("dialled after %s, want at least %s", waited, tc.atLeast)
			}
		})
	}
}

// TestInflightCounts: Trace counts a request under way until Release (an
// answer came) or Drop (none did).
func TestInflightCounts(t *testing.T) {
	before := inflight.Load()
	_, answered := Trace(context.Background())
	_, lost := Trace(context.Background())
	if n := inflight.Load() - before; n != 2 {
		t.Fatalf("after two Traces: %d under way, want 2", n)
	}
	answered.Release()
	lost.Drop()
	if n := inflight.Load() - before; n != 0 {
		t.Errorf("after Release and Drop: %d under way, want 0", n)
	}
}
