package ecgrid_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// forward sends r, as it came, to the same path on base, and returns the
// answer's status and body. The request runs on its own context, so it
// completes even when the client of r has gone.
func forward(r *http.Request, base string) (int, http.Header, []byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(context.Background(), r.Method, base+r.URL.Path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// isGenerate reports whether r is a GenerateAPIKey call, on either API.
func isGenerate(r *http.Request) bool {
	return strings.Contains(r.URL.Path, "key-generate") ||
		strings.Contains(r.Header.Get("SOAPAction")+r.Header.Get("Content-Type"), "GenerateAPIKey")
}

// relay answers r with what the fake answered.
func relay(w http.ResponseWriter, r *http.Request, fakeURL string) {
	status, h, b, err := forward(r, fakeURL)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", h.Get("Content-Type"))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// traceless is a RoundTripper that re-issues every request under a context
// of its own, as wrappers and instrumentation do: the SDK's httptrace hooks
// never fire.
type traceless struct{ rt http.RoundTripper }

func (d traceless) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(r.Context(), cancel)
	resp, err := d.rt.RoundTrip(r.Clone(ctx))
	if err != nil {
		stop()
		cancel()
	}
	return resp, err
}

// TestNoEvidenceIsNotProof: without positive evidence that the request
// never left, a connection reset after the server processed the call is an
// unknown outcome, and is not retried.
func TestNoEvidenceIsNotProof(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeECGrid()
			defer srv.Close()
			srv.Inject(ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply, Times: 10})
			hc := &http.Client{Transport: traceless{&http.Transport{}}}
			c := userClient(t, tc, adminKey, srv.URL, srv.SOAPURL, ecgrid.WithHTTPClient(hc),
				ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff}))
			_, err := c.Users().GenerateAPIKey(context.Background(), 42)
			require.ErrorIs(t, err, ecgrid.ErrUnavailable)
			assert.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown)
			assert.Equal(t, 1, srv.Rotations(42), "the generation was processed once, not retried")
		})
	}
}

// TestRotateAnotherUserProves: an admin rotating another user, whose call
// fails without the server rotating, is never told the rotation happened,
// and never given the user's old key as a new one.
func TestRotateAnotherUserProves(t *testing.T) {
	faults := map[string]ecgridtest.Fault{
		"500 without applying": {Op: "GenerateAPIKey", Status: 500},
		"drop before applying": {Op: "GenerateAPIKey", Drop: ecgridtest.DropBeforeApply},
		"502 HTML":             {Op: "GenerateAPIKey", HTML: true, Status: 502},
	}
	creds := map[string][]ecgrid.Option{
		"API key": nil,
		"session": {ecgrid.WithSessionID(adminSession)},
	}
	for name, f := range faults {
		for cname, extra := range creds {
			for _, tc := range transports {
				if cname == "session" && tc.version == "" {
					continue
				}
				t.Run(name+"/"+cname+"/"+tc.name, func(t *testing.T) {
					srv := fakeECGrid()
					defer srv.Close()
					srv.AddSession(1, adminSession)
					srv.Inject(f)
					c := userClient(t, tc, adminKey, srv.URL, srv.SOAPURL, extra...)
					persisted := false
					r, err := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{
						Persist: func(context.Context, string) error { persisted = true; return nil }})
					require.Error(t, err, "nothing was rotated: RotateAPIKey must not succeed")
					assert.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown, "a read showing the old key can't prove the request will never land")
					assertOneKind(t, err)
					assert.Equal(t, 0, srv.Rotations(42))
					assert.False(t, r.Rotated)
					assert.True(t, r.Recovered)
					assert.Equal(t, userKey, r.Key, "the key that works now")
					assert.False(t, persisted, "the old key is not persisted as a new one")
				})
			}
		}
	}
}

// TestLateLanding: the server accepts the call, the client gives up, the
// recovery read still shows the old key, and the rotation lands 600 ms
// later. The caller must not have been told that nothing happened.
func TestLateLanding(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeECGrid()
			defer srv.Close()
			var landed sync.WaitGroup
			p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !isGenerate(r) {
					relay(w, r, srv.URL)
					return
				}
				body, _ := io.ReadAll(r.Body)
				late := r.Clone(context.Background())
				landed.Add(1)
				go func() { // the service is slow, and does not notice the client left
					defer landed.Done()
					time.Sleep(600 * time.Millisecond)
					late.Body = io.NopCloser(bytes.NewReader(body))
					_, _, _, _ = forward(late, srv.URL)
				}()
				<-r.Context().Done()
			}))
			defer p.Close()
			c := userClient(t, tc, adminKey, p.URL, p.URL+ecgridtest.SOAPPath)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			r, err := c.RotateAPIKey(ctx, 42, ecgrid.RotateOptions{})
			require.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown)
			assertOneKind(t, err)
			assert.True(t, r.Recovered)
			assert.False(t, r.Rotated)
			assert.Equal(t, userKey, r.Key)
			landed.Wait()
			assert.Equal(t, 1, srv.Rotations(42), "the request landed after all")
		})
	}
}

// TestRecoveryOutlivesTheDeadline: when the caller's deadline ends the
// generation, recovery, Persist and Verify still run, on a detached
// context.
func TestRecoveryOutlivesTheDeadline(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeECGrid()
			defer srv.Close()
			srv.Inject(ecgridtest.Fault{Op: "GenerateAPIKey", Apply: true, Delay: 3 * time.Second})
			c := userClient(t, tc, userKey, srv.URL, srv.SOAPURL)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			var stored string
			var persistErr error
			admin := ecgrid.Credentials{APIKey: adminKey}
			r, err := c.RotateAPIKey(ctx, 42, ecgrid.RotateOptions{Self: true, Recovery: &admin,
				Persist: func(ctx context.Context, k string) error { stored, persistErr = k, ctx.Err(); return nil }})
			require.NoError(t, err)
			current, _ := srv.Key(42)
			assert.True(t, r.Recovered)
			assert.True(t, r.Rotated)
			assert.Equal(t, current, r.Key)
			assert.Equal(t, current, stored)
			assert.NoError(t, persistErr, "Persist ran on a live context")
			assert.True(t, r.Switched)
		})
	}
}

// TestPersistPanics: a panicking Persist does not lose the key.
func TestPersistPanics(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeECGrid()
			defer srv.Close()
			c := userClient(t, tc, userKey, srv.URL, srv.SOAPURL)
			r, err := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{Self: true,
				Persist: func(_ context.Context, k string) error { panic("vault exploded with " + k) }})
			current, _ := srv.Key(42)
			require.ErrorIs(t, err, ecgrid.ErrPersist)
			assertOneKind(t, err)
			assert.Equal(t, current, r.Key, "the new key is returned")
			assert.True(t, r.Switched, "the client switched before Persist")
			var pe *ecgrid.PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "vault exploded with "+current, pe.Value())
			assert.Contains(t, err.Error(), "vault exploded with [redacted]", "the cause is kept, the key redacted")
			assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", err, err, err, pe), current)
			_, err = c.Users().GenerateAPIKey(context.Background(), 42)
			assert.NoError(t, err, "the client works with the new key")
		})
	}
}

// TestSelfRotationUnderLoad: while RotateAPIKey(Self) runs, with a slow
// Persist, calls of other goroutines that were sent with the old key are
// repeated with the new one instead of failing with 401.
func TestSelfRotationUnderLoad(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeECGrid()
			defer srv.Close()
			c := userClient(t, tc, adminKey, srv.URL, srv.SOAPURL)
			stop := make(chan struct{})
			var calls, failed atomic.Int64
			var firstErr atomic.Value
			var wg sync.WaitGroup
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						calls.Add(1)
						if _, err := c.Users().GetAPIKey(context.Background(), 42); err != nil {
							failed.Add(1)
							firstErr.CompareAndSwap(nil, err)
						}
					}
				}()
			}
			time.Sleep(50 * time.Millisecond)
			r, err := c.RotateAPIKey(context.Background(), 1, ecgrid.RotateOptions{Self: true,
				Persist: func(context.Context, string) error { time.Sleep(200 * time.Millisecond); return nil }})
			time.Sleep(50 * time.Millisecond)
			close(stop)
			wg.Wait()
			require.NoError(t, err)
			assert.True(t, r.Switched)
			assert.Greater(t, calls.Load(), int64(50))
			assert.Zero(t, failed.Load(), "calls failed during the rotation: %v", firstErr.Load())
		})
	}
}

// TestRotateWithFallback: recovery and verification go through the same
// fallback as the generation: REST has no such route, SOAP answers.
func TestRotateWithFallback(t *testing.T) {
	srv := fakeECGrid()
	defer srv.Close()
	srv.Inject(ecgridtest.Fault{Transport: "soap", Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply})
	noREST := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	c := userClient(t, transportCase{"rest", ""}, userKey, noREST.URL, srv.SOAPURL, ecgrid.WithSOAPFallback())
	admin := ecgrid.Credentials{APIKey: adminKey}
	r, err := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{Self: true, Recovery: &admin, Verify: true})
	require.NoError(t, err)
	current, _ := srv.Key(42)
	assert.Equal(t, current, r.Key)
	assert.True(t, r.Recovered)
	assert.True(t, r.Switched)
	assert.True(t, r.Verified, "verified through the fallback")
}

// TestNotSentContextErrorNotRetried: a per-attempt timeout that ends the
// wait for a connection proves nothing was sent, but is the caller's
// timeout: it is not retried.
func TestNotSentContextErrorNotRetried(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/7") {
			<-release
		}
		success(testNewKey)(w, r, "")
	})
	defer close(release)
	hc := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{MaxConnsPerHost: 1}}
	blocker := clientFor(t, transports[0], s.URL, ecgrid.WithHTTPClient(&http.Client{Transport: hc.Transport}))
	go func() { _, _ = blocker.Users().GetAPIKey(context.Background(), 7) }() // holds the only connection
	time.Sleep(100 * time.Millisecond)
	c := clientFor(t, transports[0], s.URL, ecgrid.WithHTTPClient(hc),
		ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff}))
	_, err := c.Users().GenerateAPIKey(context.Background(), 42)
	require.ErrorIs(t, err, ecgrid.ErrUnavailable)
	assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown), "no connection was had: not sent (%v)", err)
	var e *ecgrid.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 1, e.Attempts, "not retried")
	assert.Equal(t, int32(1), s.hits.Load(), "only the blocker reached the server")
}

// assertOneKind fails unless err matches exactly one kind.
func assertOneKind(t *testing.T, err error) {
	t.Helper()
	var matched []string
	for _, k := range []error{ecgrid.ErrInvalidInput, ecgrid.ErrUnauthorized, ecgrid.ErrForbidden, ecgrid.ErrNotFound,
		ecgrid.ErrRateLimited, ecgrid.ErrUnavailable, ecgrid.ErrServer, ecgrid.ErrBadResponse, ecgrid.ErrRedirect,
		ecgrid.ErrPersist, ecgrid.ErrVerify} {
		if errors.Is(err, k) {
			matched = append(matched, k.Error())
		}
	}
	assert.Len(t, matched, 1, "kinds matched by %v", err)
}
