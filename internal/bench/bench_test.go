package bench

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ecgridkit/ecgrid"
)

// Every benchmark calls GenerateAPIKey for user 42 on both sides: the server
// answers the same fixed key, so only the client code differs.

type call func(ctx context.Context) (string, error)

// newSDK returns the Users of an SDK client with the API key and opts.
func newSDK(tb testing.TB, opts ...ecgrid.Option) ecgrid.Users {
	tb.Helper()
	c, err := ecgrid.New(append([]ecgrid.Option{ecgrid.WithAPIKey(apiKey)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return c.Users()
}

func sdkREST(tb testing.TB, s *server) call {
	u := newSDK(tb, ecgrid.WithRESTURL(s.restURL()))
	return func(ctx context.Context) (string, error) { return u.GenerateAPIKey(ctx, userID) }
}

func sdkSOAP(tb testing.TB, s *server, v ecgrid.SOAPVersion) call {
	u := newSDK(tb, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(s.soapURL()), ecgrid.WithSOAPVersion(v))
	return func(ctx context.Context) (string, error) { return u.GenerateAPIKey(ctx, userID) }
}

// ownClient is the http.Client{} a sample creates: the default transport.
func ownClient(tb testing.TB) *http.Client {
	hc := &http.Client{}
	tb.Cleanup(hc.CloseIdleConnections)
	return hc
}

func handRESTCall(hc *http.Client, s *server) call {
	return func(ctx context.Context) (string, error) { return handREST(ctx, hc, s.restURL(), apiKey, userID) }
}

func handSOAPCall(hc *http.Client, s *server, v *soapVersion) call {
	return func(ctx context.Context) (string, error) { return handSOAP(ctx, hc, v, s.soapURL(), apiKey, userID) }
}

func check(key string, err error) error {
	switch {
	case err != nil:
		return err
	case key != fixedKey:
		return fmt.Errorf("got key %q, want %q", key, fixedKey)
	}
	return nil
}

// serial times one call at a time over a warm connection.
func serial(b *testing.B, f call) {
	ctx := context.Background()
	if err := check(f(ctx)); err != nil { // warm up: dial outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := check(f(ctx)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkREST(b *testing.B) {
	b.Run("impl=hand", func(b *testing.B) {
		s := newServer(b)
		serial(b, handRESTCall(ownClient(b), s))
	})
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		serial(b, sdkREST(b, s))
	})
}

func BenchmarkSOAP11(b *testing.B) {
	b.Run("impl=hand", func(b *testing.B) {
		s := newServer(b)
		serial(b, handSOAPCall(ownClient(b), s, &soap11))
	})
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		serial(b, sdkSOAP(b, s, ecgrid.SOAP11))
	})
}

func BenchmarkSOAP12(b *testing.B) {
	b.Run("impl=hand", func(b *testing.B) {
		s := newServer(b)
		serial(b, handSOAPCall(ownClient(b), s, &soap12))
	})
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		serial(b, sdkSOAP(b, s, ecgrid.SOAP12))
	})
}

// goroutines is how many goroutines the parallel run and test use.
const goroutines = 64

// parallelism is the b.SetParallelism that runs at least 64 goroutines.
func parallelism() int {
	p := runtime.GOMAXPROCS(0)
	return (goroutines + p - 1) / p
}

// BenchmarkParallel runs REST calls from 64 goroutines through one shared
// client, and reports the connections the server accepted during the run
// ("conns", a total per run, not per op).
func BenchmarkParallel(b *testing.B) {
	b.Run("impl=hand", func(b *testing.B) {
		s := newServer(b)
		parallel(b, s, handRESTCall(http.DefaultClient, s))
	})
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		parallel(b, s, sdkREST(b, s))
	})
}

func parallel(b *testing.B, s *server, f call) {
	ctx := context.Background()
	before := s.conns()
	b.ReportAllocs()
	b.SetParallelism(parallelism())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := check(f(ctx)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(s.conns()-before), "conns")
}

// BenchmarkNew builds a client with default options: REST, the vendor's URL.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if _, err := ecgrid.New(ecgrid.WithAPIKey(apiKey)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImplementations checks that every benchmarked call gets the key.
func TestImplementations(t *testing.T) {
	s := newServer(t)
	hc := ownClient(t)
	for name, f := range map[string]call{
		"REST/hand":   handRESTCall(hc, s),
		"REST/sdk":    sdkREST(t, s),
		"SOAP11/hand": handSOAPCall(hc, s, &soap11),
		"SOAP11/sdk":  sdkSOAP(t, s, ecgrid.SOAP11),
		"SOAP12/hand": handSOAPCall(hc, s, &soap12),
		"SOAP12/sdk":  sdkSOAP(t, s, ecgrid.SOAP12),
	} {
		for range 3 {
			if err := check(f(context.Background())); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	// The server refuses a wrong credential, so the calls above did send it.
	if _, err := handREST(context.Background(), hc, s.restURL(), "wrong", userID); err == nil {
		t.Error("hand-written REST with a wrong key succeeded")
	}
}

// TestParallelConnections makes 10 000 calls from 64 goroutines through one
// shared SDK client: the pool must keep the connections it opens, so the
// server accepts at most 72 of them. It counts; it does not time.
func TestParallelConnections(t *testing.T) {
	const calls, maxConns = 10_000, 72
	for _, tc := range []struct {
		name string
		f    func(*server) call
	}{
		{"REST", func(s *server) call { return sdkREST(t, s) }},
		{"SOAP11", func(s *server) call { return sdkSOAP(t, s, ecgrid.SOAP11) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			f := tc.f(s)
			var next atomic.Int64
			var wg sync.WaitGroup
			for range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= calls {
						if err := check(f(context.Background())); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			n := s.conns()
			t.Logf("%d calls from %d goroutines: %d connections", calls, goroutines, n)
			if n > maxConns {
				t.Errorf("the server accepted %d connections, want at most %d", n, maxConns)
			}
		})
	}
}

// probe is a RoundTripper that fails the test when it is used while armed.
type probe struct {
	t     *testing.T
	armed atomic.Bool
	n     atomic.Int64
}

func (p *probe) RoundTrip(r *http.Request) (*http.Response, error) {
	p.n.Add(1)
	if p.armed.Load() {
		p.t.Errorf("network call during New: %s %s", r.Method, r.URL.Redacted())
	}
	return nil, fmt.Errorf("probe: no network here")
}

// TestNewNoNetwork checks that New makes no network call, with an injected
// http.Client and with the default one.
func TestNewNoNetwork(t *testing.T) {
	s := newServer(t)
	configs := map[string][]ecgrid.Option{
		"default": {ecgrid.WithAPIKey(apiKey)},
		"REST":    {ecgrid.WithAPIKey(apiKey), ecgrid.WithRESTURL(s.restURL())},
		"SOAP11":  {ecgrid.WithAPIKey(apiKey), ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(s.soapURL())},
		"SOAP12": {ecgrid.WithAPIKey(apiKey), ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(s.soapURL()),
			ecgrid.WithSOAPVersion(ecgrid.SOAP12)},
		"fallback": {ecgrid.WithAPIKey(apiKey), ecgrid.WithRESTURL(s.restURL()), ecgrid.WithSOAPURL(s.soapURL()),
			ecgrid.WithSOAPFallback()},
	}
	for name, opts := range configs {
		t.Run(name, func(t *testing.T) {
			p := &probe{t: t}
			p.armed.Store(true)
			c, err := ecgrid.New(append(opts, ecgrid.WithHTTPClient(&http.Client{Transport: p}),
				ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1}))...)
			if err != nil {
				t.Fatal(err)
			}
			p.armed.Store(false)
			if n := p.n.Load(); n != 0 {
				t.Fatalf("New made %d network calls, want 0", n)
			}
			// The probe is the client's transport: a call does reach it.
			_, _ = c.Users().GetAPIKey(context.Background(), userID)
			if p.n.Load() == 0 {
				t.Fatal("the probe was not used by the client: the check above proves nothing")
			}
		})
	}
	// With the default transport: the server sees no connection from New.
	for name, opts := range configs {
		if _, err := ecgrid.New(opts...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if n := s.conns(); n != 0 {
		t.Errorf("New with the default transport opened %d connections, want 0", n)
	}
}
