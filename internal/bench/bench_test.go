package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecgridkit/ecgrid"
)

// Every benchmark calls GenerateAPIKey for user 42 on every side: the server
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

func sdkREST(tb testing.TB, s *server, opts ...ecgrid.Option) call {
	u := newSDK(tb, append([]ecgrid.Option{ecgrid.WithRESTURL(s.restURL())}, opts...)...)
	return func(ctx context.Context) (string, error) { return u.GenerateAPIKey(ctx, userID) }
}

func sdkSOAP(tb testing.TB, s *server, v ecgrid.SOAPVersion, opts ...ecgrid.Option) call {
	u := newSDK(tb, append([]ecgrid.Option{ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(s.soapURL()),
		ecgrid.WithSOAPVersion(v)}, opts...)...)
	return func(ctx context.Context) (string, error) { return u.GenerateAPIKey(ctx, userID) }
}

// refused are the options of the error-path benchmarks: a credential the
// server refuses, and no retry, so that one call is one request.
func refused() []ecgrid.Option {
	return []ecgrid.Option{ecgrid.WithAPIKey(wrongKey), ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1})}
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

func fastSOAPCall(hc *http.Client, s *server, v *soapVersion) call {
	f := newFastSOAP(hc, v, s.soapURL())
	return func(ctx context.Context) (string, error) { return f.GenerateAPIKey(ctx, apiKey, userID) }
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

func BenchmarkSOAP11(b *testing.B) { benchSOAP(b, &soap11, ecgrid.SOAP11) }
func BenchmarkSOAP12(b *testing.B) { benchSOAP(b, &soap12, ecgrid.SOAP12) }

// benchSOAP runs the three SOAP sides: hand-written by reflection, fast
// hand-written (fast_test.go), and the SDK.
func benchSOAP(b *testing.B, hv *soapVersion, v ecgrid.SOAPVersion) {
	b.Run("impl=hand", func(b *testing.B) {
		s := newServer(b)
		serial(b, handSOAPCall(ownClient(b), s, hv))
	})
	b.Run("impl=fast", func(b *testing.B) {
		s := newServer(b)
		serial(b, fastSOAPCall(ownClient(b), s, hv))
	})
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		serial(b, sdkSOAP(b, s, v))
	})
}

// checkRefused checks that err is the SDK's error for a refused credential:
// an *ecgrid.Error of kind ErrUnauthorized. It allocates nothing.
func checkRefused(err error) error {
	if _, ok := err.(*ecgrid.Error); !ok || !errors.Is(err, ecgrid.ErrUnauthorized) {
		return fmt.Errorf("got error %v (%T), want an *ecgrid.Error of kind ErrUnauthorized", err, err)
	}
	return nil
}

// serialRefused times one refused call at a time over a warm connection and
// checks that each call was one request.
func serialRefused(b *testing.B, s *server, f call, status int) {
	ctx := context.Background()
	_, err := f(ctx) // warm up: dial outside the timing
	var e *ecgrid.Error
	if !errors.As(err, &e) || !errors.Is(err, ecgrid.ErrUnauthorized) || e.StatusCode != status || e.Attempts != 1 {
		b.Fatalf("got error %#v, want an *ecgrid.Error of kind ErrUnauthorized with HTTP %d after 1 attempt", err, status)
	}
	before := s.requests()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, err := f(ctx)
		if err := checkRefused(err); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := s.requests() - before; n != int64(b.N) {
		b.Fatalf("%d calls sent %d requests, want one each", b.N, n)
	}
}

// BenchmarkREST401 is the SDK's REST call refused with HTTP 401
// InvalidAPIKey; compare its allocations with BenchmarkREST/impl=sdk.
func BenchmarkREST401(b *testing.B) {
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		serialRefused(b, s, sdkREST(b, s, refused()...), http.StatusUnauthorized)
	})
}

// BenchmarkSOAP11Fault and BenchmarkSOAP12Fault are the SDK's SOAP call
// refused with HTTP 500 and a Client (Sender) fault whose detail says
// Authentication; compare with BenchmarkSOAP11/impl=sdk and SOAP12.
func BenchmarkSOAP11Fault(b *testing.B) {
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		serialRefused(b, s, sdkSOAP(b, s, ecgrid.SOAP11, refused()...), http.StatusInternalServerError)
	})
}

func BenchmarkSOAP12Fault(b *testing.B) {
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		serialRefused(b, s, sdkSOAP(b, s, ecgrid.SOAP12, refused()...), http.StatusInternalServerError)
	})
}

// goroutines is how many goroutines the fast-server parallel run and test use.
const goroutines = 64

// parallelism is the b.SetParallelism that runs at least n goroutines.
func parallelism(n int) int {
	p := runtime.GOMAXPROCS(0)
	return (n + p - 1) / p
}

// BenchmarkParallel runs REST calls from 64 goroutines through one shared
// client, and reports the connections the server accepted during the run
// ("conns", a total per run, not per op).
func BenchmarkParallel(b *testing.B) {
	b.Run("impl=hand", func(b *testing.B) {
		s := newServer(b)
		parallel(b, s, goroutines, handRESTCall(http.DefaultClient, s), nil)
	})
	b.Run("impl=sdk", func(b *testing.B) {
		s := newServer(b)
		parallel(b, s, goroutines, sdkREST(b, s), nil)
	})
}

// Slow server: each request takes slowDelay, and slowGoroutines share one
// client, far more than the SDK's default connection cap.
const (
	slowDelay      = 20 * time.Millisecond
	slowGoroutines = 512
)

// BenchmarkSlowServer runs REST calls from 512 goroutines through one
// shared client against a server that takes 20 ms per request: the SDK with
// default options against a hand-written call with a default http.Client.
// Besides ns/op (the inverse of throughput) it reports the connections the
// server accepted during the run ("conns") and the median latency of one
// call ("p50-ms"), which shows callers queueing behind a connection cap.
func BenchmarkSlowServer(b *testing.B) {
	b.Run("impl=hand", func(b *testing.B) {
		s := newSlowServer(b, slowDelay)
		parallel(b, s, slowGoroutines, handRESTCall(ownClient(b), s), new(latencies))
	})
	b.Run("impl=sdk", func(b *testing.B) {
		s := newSlowServer(b, slowDelay)
		parallel(b, s, slowGoroutines, sdkREST(b, s), new(latencies))
	})
}

// parallel runs b.N calls of f from at least n goroutines, and reports the
// connections the server accepted and, with lat, the median latency.
func parallel(b *testing.B, s *server, n int, f call, lat *latencies) {
	ctx := context.Background()
	before := s.conns()
	b.ReportAllocs()
	b.SetParallelism(parallelism(n))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var start time.Time
			if lat != nil {
				start = time.Now()
			}
			if err := check(f(ctx)); err != nil {
				b.Error(err)
				return
			}
			if lat != nil {
				lat.add(time.Since(start))
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(s.conns()-before), "conns")
	if lat != nil {
		b.ReportMetric(float64(lat.median())/float64(time.Millisecond), "p50-ms")
	}
}

// latencies is a histogram of call latencies in buckets of latencyBucket, up
// to latencyBuckets of them (the last one holds everything longer). Adding
// to it allocates nothing.
type latencies [latencyBuckets]atomic.Int64

const (
	latencyBucket  = 50 * time.Microsecond
	latencyBuckets = 40_000 // 2 s
)

func (l *latencies) add(d time.Duration) {
	l[min(int(d/latencyBucket), latencyBuckets-1)].Add(1)
}

// median returns the middle of the bucket that holds the median latency,
// or 0 when nothing was added.
func (l *latencies) median() time.Duration {
	var total int64
	for i := range l {
		total += l[i].Load()
	}
	var seen int64
	for i := range l {
		if seen += l[i].Load(); total > 0 && 2*seen >= total {
			return time.Duration(i)*latencyBucket + latencyBucket/2
		}
	}
	return 0
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
		"SOAP11/fast": fastSOAPCall(hc, s, &soap11),
		"SOAP11/sdk":  sdkSOAP(t, s, ecgrid.SOAP11),
		"SOAP12/hand": handSOAPCall(hc, s, &soap12),
		"SOAP12/fast": fastSOAPCall(hc, s, &soap12),
		"SOAP12/sdk":  sdkSOAP(t, s, ecgrid.SOAP12),
	} {
		for range 3 {
			if err := check(f(context.Background())); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	// The server refuses a wrong credential, so the calls above did send it.
	if _, err := handREST(context.Background(), hc, s.restURL(), wrongKey, userID); err == nil {
		t.Error("hand-written REST with a wrong key succeeded")
	}
	for _, v := range []*soapVersion{&soap11, &soap12} {
		if _, err := handSOAP(context.Background(), hc, v, s.soapURL(), wrongKey, userID); err == nil {
			t.Error("hand-written SOAP with a wrong session succeeded")
		}
		_, err := newFastSOAP(hc, v, s.soapURL()).GenerateAPIKey(context.Background(), wrongKey, userID)
		var f *fastFault
		if !errors.As(err, &f) || f.status != http.StatusInternalServerError || f.kind != "Authentication" ||
			f.reason != "Invalid Session ID" || (f.code != "soap:Client" && f.code != "soap:Sender") {
			t.Errorf("fast SOAP with a wrong session: got %#v, want an Authentication fault with HTTP 500", err)
		}
	}
}

// TestFastSOAPAnswers checks the fast SOAP parser on answers that must fail.
func TestFastSOAPAnswers(t *testing.T) {
	whole := string(soap11Gen)
	for name, tc := range map[string]struct {
		body   string
		status int
	}{
		"truncated":    {whole[:len(whole)-20], 200},
		"no result":    {`<soap:Envelope xmlns:soap="` + envNS11 + `"><soap:Body/></soap:Envelope>`, 200},
		"not XML":      {`<html><body>Service Unavailable</body>`, 200},
		"status 500":   {whole, 500},
		"empty result": {strings.Replace(whole, fixedKey, "", 1), 200},
	} {
		buf := &fastBuf{b: []byte(tc.body)}
		if key, err := parseFast(buf, tc.status); err == nil {
			t.Errorf("%s: got key %q, want an error", name, key)
		}
	}
	if key, err := parseFast(&fastBuf{b: soap12Gen}, 200); err != nil || key != fixedKey {
		t.Errorf("SOAP 1.2 answer: got %q, %v", key, err)
	}
	big := make([]byte, maxAnswer+10)
	if _, err := readBounded(bytes.NewReader(big), nil, maxAnswer); !errors.Is(err, errTooLarge) {
		t.Errorf("oversized answer: got %v, want errTooLarge", err)
	}
}

// TestErrorPaths checks what the error-path benchmarks rely on: the SDK
// returns an *ecgrid.Error of kind ErrUnauthorized, after one request.
func TestErrorPaths(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      func(*server) call
		status int
		code   string
	}{
		{"REST401", func(s *server) call { return sdkREST(t, s, refused()...) }, http.StatusUnauthorized, "InvalidAPIKey"},
		{"SOAP11Fault", func(s *server) call { return sdkSOAP(t, s, ecgrid.SOAP11, refused()...) }, http.StatusInternalServerError, "Authentication"},
		{"SOAP12Fault", func(s *server) call { return sdkSOAP(t, s, ecgrid.SOAP12, refused()...) }, http.StatusInternalServerError, "Authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			f := tc.f(s)
			for i := range 3 {
				_, err := f(context.Background())
				var e *ecgrid.Error
				if !errors.As(err, &e) || !errors.Is(err, ecgrid.ErrUnauthorized) {
					t.Fatalf("got %#v, want an *ecgrid.Error of kind ErrUnauthorized", err)
				}
				if e.StatusCode != tc.status || e.Code != tc.code || e.Attempts != 1 {
					t.Errorf("got HTTP %d, code %q after %d attempts; want HTTP %d, code %q after 1",
						e.StatusCode, e.Code, e.Attempts, tc.status, tc.code)
				}
				if err := checkRefused(err); err != nil {
					t.Error(err)
				}
				if n := s.requests(); n != int64(i+1) {
					t.Errorf("%d calls sent %d requests", i+1, n)
				}
			}
		})
	}
}

// TestSlowServer checks that the slow server delays its answers and that
// the latency histogram finds their median.
func TestSlowServer(t *testing.T) {
	const delay = 5 * time.Millisecond
	s := newSlowServer(t, delay)
	f := sdkREST(t, s)
	var lat latencies
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if err := check(f(context.Background())); err != nil {
				t.Error(err)
			}
			lat.add(time.Since(start))
		}()
	}
	wg.Wait()
	if m := lat.median(); m < delay {
		t.Errorf("median latency %s, want at least the server's delay %s", m, delay)
	}
	var empty latencies
	if m := empty.median(); m != 0 {
		t.Errorf("median of nothing: got %s, want 0", m)
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

// TestNoQueueOnSlowServer: 200 goroutines share one SDK client against a
// server that takes 200 ms: with no cap on connections, they are in flight
// at once (the server accepts a connection for nearly each), where a cap of
// 64 would queue 136 of them. It counts; it does not time.
func TestNoQueueOnSlowServer(t *testing.T) {
	const callers, capped = 200, 64
	s := newSlowServer(t, 200*time.Millisecond)
	f := sdkREST(t, s)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := check(f(context.Background())); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := s.conns(); n <= 2*capped {
		t.Errorf("the server accepted %d connections for %d concurrent callers: callers queued behind a cap", n, callers)
	}
}
