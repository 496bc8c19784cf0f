package ecgrid_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
)

// sequence answers each request with the next responder; the last repeats.
func sequence(rs ...responder) (responder, *atomic.Int32) {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request, v string) {
		i := int(n.Add(1)) - 1
		if i >= len(rs) {
			i = len(rs) - 1
		}
		rs[i](w, r, v)
	}, &n
}

// noWait is a backoff that records what it was asked and never sleeps.
type noWait struct {
	mu          sync.Mutex
	retryAfters []time.Duration
}

func (b *noWait) backoff(_ int, retryAfter time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.retryAfters = append(b.retryAfters, retryAfter)
	return 0
}

// TestRetries checks which failures are retried, for each operation and
// transport, by counting the requests the server saw.
func TestRetries(t *testing.T) {
	status500 := apiError(500, "InternalError", "Server", "SystemError", "boom")
	cases := []struct {
		name         string
		op           string
		answers      []responder
		retryUnknown bool
		wantRequests int32
		wantErr      error // nil: success
		wantUnknown  bool
	}{
		{"503 then success (generate)", "GenerateAPIKey", []responder{both(503, "text/plain", "busy"), success(testNewKey)}, false, 2, nil, false},
		{"429 twice then success (generate)", "GenerateAPIKey", []responder{both(429, "", "", "Retry-After", "1"), both(429, "", "", "Retry-After", "1"), success(testNewKey)}, false, 3, nil, false},
		{"503 three times gives up", "GenerateAPIKey", []responder{both(503, "", "")}, false, 3, ecgrid.ErrUnavailable, false},
		{"500 not retried (generate)", "GenerateAPIKey", []responder{status500, success(testNewKey)}, false, 1, ecgrid.ErrServer, true},
		{"500 retried when opted in", "GenerateAPIKey", []responder{status500, success(testNewKey)}, true, 2, nil, false},
		{"500 then 503 when opted in stays unknown", "GenerateAPIKey", []responder{status500, both(503, "", "")}, true, 3, ecgrid.ErrUnavailable, true},
		{"drop not retried (generate)", "GenerateAPIKey", []responder{drop, success(testNewKey)}, false, 1, ecgrid.ErrUnavailable, true},
		{"500 retried (get)", "GetAPIKey", []responder{status500, success(testNewKey)}, false, 2, nil, false},
		{"502 and 504 retried (get)", "GetAPIKey", []responder{both(502, "", ""), both(504, "", ""), success(testNewKey)}, false, 3, nil, false},
		{"drop retried (get)", "GetAPIKey", []responder{drop, success(testNewKey)}, false, 2, nil, false},
		{"500 three times (get) is not unknown", "GetAPIKey", []responder{status500}, false, 3, ecgrid.ErrServer, false},
		{"400 never retried", "GetAPIKey", []responder{apiError(400, "InvalidParameter", "Client", "InvalidParameter", "x"), success(testNewKey)}, false, 1, ecgrid.ErrInvalidInput, false},
		{"401 never retried", "GetAPIKey", []responder{apiError(401, "InvalidAPIKey", "Client", "Authentication", "x"), success(testNewKey)}, false, 1, ecgrid.ErrUnauthorized, false},
		{"403 never retried", "GenerateAPIKey", []responder{apiError(403, "AccessDenied", "Client", "Authorization", "x"), success(testNewKey)}, true, 1, ecgrid.ErrForbidden, false},
		{"404 never retried", "GenerateAPIKey", []responder{apiError(404, "ObjectNotFound", "Client", "ObjectNotFound", "x"), success(testNewKey)}, true, 1, ecgrid.ErrNotFound, false},
	}
	for _, cs := range cases {
		for _, tc := range transports {
			t.Run(cs.name+"/"+tc.name, func(t *testing.T) {
				answer, _ := sequence(cs.answers...)
				s := serve(t, answer)
				b := &noWait{}
				c := clientFor(t, tc, s.URL, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: b.backoff, RetryUnknownOutcome: cs.retryUnknown}))
				_, err := call(context.Background(), c, cs.op, 42)
				assert.Equal(t, cs.wantRequests, s.hits.Load(), "requests sent")
				if cs.wantErr == nil {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, cs.wantErr)
				assert.Equal(t, cs.wantUnknown, errors.Is(err, ecgrid.ErrOutcomeUnknown), "%v", err)
				var e *ecgrid.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, int(cs.wantRequests), e.Attempts)
				if cs.wantRequests > 1 {
					assert.Contains(t, err.Error(), "attempts")
				}
			})
		}
	}
}

// TestRetryAfter checks Retry-After reaches the backoff, in seconds or as an
// HTTP date, and that a delay beyond MaxRetryAfter stops retrying.
func TestRetryAfter(t *testing.T) {
	date := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name     string
		header   string
		min, max time.Duration
		requests int32
	}{
		{"seconds", "3", 3 * time.Second, 3 * time.Second, 2},
		{"HTTP date", date, 15 * time.Second, 21 * time.Second, 2},
		{"negative ignored", "-5", 0, 0, 2},
		{"garbage ignored", "soon", 0, 0, 2},
		{"beyond the cap", "120", 0, 0, 1},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			answer, _ := sequence(both(429, "text/plain", "slow down", "Retry-After", cs.header), success(testNewKey))
			s := serve(t, answer)
			b := &noWait{}
			c := clientFor(t, transports[0], s.URL, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: b.backoff, MaxRetryAfter: time.Minute}))
			_, err := c.Users().GenerateAPIKey(context.Background(), 42)
			assert.Equal(t, cs.requests, s.hits.Load())
			if cs.requests == 1 {
				require.ErrorIs(t, err, ecgrid.ErrRateLimited)
				var e *ecgrid.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, 120*time.Second, e.RetryAfter)
				return
			}
			require.NoError(t, err)
			require.Len(t, b.retryAfters, 1)
			assert.GreaterOrEqual(t, b.retryAfters[0], cs.min)
			assert.LessOrEqual(t, b.retryAfters[0], cs.max)
		})
	}
}

// TestRetryWaitStopsOnCancel checks a cancelled context ends a backoff wait
// at once, and that a wait longer than the deadline is not started.
func TestRetryWaitStopsOnCancel(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { both(503, "", "")(w, r, "") })
	c := clientFor(t, transports[0], s.URL, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{
		Backoff: func(int, time.Duration) time.Duration { return time.Hour },
	}))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() { _, err := c.Users().GenerateAPIKey(ctx, 42); done <- err }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ecgrid.ErrUnavailable)
		assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown))
	case <-time.After(30 * time.Second):
		t.Fatal("the wait did not stop when the context was cancelled")
	}
	assert.Equal(t, int32(1), s.hits.Load())

	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	_, err := c.Users().GenerateAPIKey(ctx2, 42)
	require.ErrorIs(t, err, ecgrid.ErrUnavailable)
	assert.Equal(t, int32(2), s.hits.Load(), "a wait past the deadline is not started")
}

// TestRetrySendsSameBody checks every attempt sends the same bytes.
func TestRetrySendsSameBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	answer, _ := sequence(both(503, "", ""), both(503, "", ""), success(testNewKey))
	s := newServer(t, nil)
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		answer(w, r, versionOf(r))
	})
	c := clientFor(t, transports[1], s.URL, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff}))
	_, err := c.Users().GenerateAPIKey(context.Background(), 42)
	require.NoError(t, err)
	require.Len(t, bodies, 3)
	assert.Contains(t, bodies[0], "<UserID>42</UserID>")
	assert.Equal(t, bodies[0], bodies[1])
	assert.Equal(t, bodies[0], bodies[2])
}

// TestConnectionRefusedRetried checks a connection that never opened is
// retried for both operations, and stays a definite failure.
func TestConnectionRefusedRetried(t *testing.T) {
	c := clientFor(t, transports[0], closedURL(t), ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff}))
	_, err := c.Users().GenerateAPIKey(context.Background(), 42)
	require.ErrorIs(t, err, ecgrid.ErrUnavailable)
	assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown))
	var e *ecgrid.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 3, e.Attempts)
}

// TestSOAPFallback checks when a REST failure moves the call to SOAP.
func TestSOAPFallback(t *testing.T) {
	restCases := []struct {
		name      string
		rest      responder // nil: connection refused
		op        string
		fallback  bool
		restCount int32
	}{
		{"404 without envelope", both(404, "text/html", "<html>no such route</html>"), "GenerateAPIKey", true, 1},
		{"501", both(501, "text/plain", "not implemented"), "GenerateAPIKey", true, 1},
		{"503 after retries", both(503, "text/plain", "busy"), "GenerateAPIKey", true, 3},
		{"connection refused", nil, "GenerateAPIKey", true, 0},
		{"404 ObjectNotFound envelope", apiError(404, "ObjectNotFound", "", "", "no user"), "GenerateAPIKey", false, 1},
		{"500 on generate", apiError(500, "InternalError", "", "", "boom"), "GenerateAPIKey", false, 1},
		{"drop on generate", drop, "GenerateAPIKey", false, 1},
		{"401", apiError(401, "InvalidAPIKey", "", "", "bad key"), "GetAPIKey", false, 1},
		{"429", both(429, "", "", "Retry-After", "1"), "GetAPIKey", false, 3},
	}
	for _, cs := range restCases {
		t.Run(cs.name, func(t *testing.T) {
			restURL := closedURL(t)
			var restSrv *server
			if cs.rest != nil {
				restSrv = newServer(t, func(w http.ResponseWriter, r *http.Request) { cs.rest(w, r, "") })
				restURL = restSrv.URL
			}
			soapSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) { success(testNewKey)(w, r, "1.1") })
			var logs bytes.Buffer
			c, err := ecgrid.New(ecgrid.WithAPIKey(testAPIKey), ecgrid.WithRESTURL(restURL), ecgrid.WithSOAPURL(soapSrv.URL),
				ecgrid.WithSOAPFallback(), ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff}),
				ecgrid.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			var key string
			key, err = call(context.Background(), c, cs.op, 42)
			if restSrv != nil {
				assert.Equal(t, cs.restCount, restSrv.hits.Load(), "REST requests")
			}
			if cs.fallback {
				require.NoError(t, err)
				assert.Equal(t, testNewKey, key)
				assert.Equal(t, int32(1), soapSrv.hits.Load())
				assert.Contains(t, logs.String(), "falling back to SOAP")
				assert.Contains(t, logs.String(), "answered by the SOAP fallback")
			} else {
				require.Error(t, err)
				assert.Zero(t, soapSrv.hits.Load(), "SOAP must not be tried")
				var e *ecgrid.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, ecgrid.REST, e.Transport)
			}
			assertNoSecret(t, logs.String())
		})
	}
}

// TestSOAPFallbackBothFail checks both failures are reported and the SOAP
// one decides.
func TestSOAPFallbackBothFail(t *testing.T) {
	restSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) { both(503, "", "")(w, r, "") })
	soapSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		apiError(0, "", "Server", "SystemError", "down")(w, r, "1.1")
	})
	c, err := ecgrid.New(ecgrid.WithAPIKey(testAPIKey), ecgrid.WithRESTURL(restSrv.URL), ecgrid.WithSOAPURL(soapSrv.URL),
		ecgrid.WithSOAPFallback(), ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	_, err = c.Users().GenerateAPIKey(context.Background(), 42)
	require.Error(t, err)
	var e *ecgrid.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, ecgrid.SOAP, e.Transport)
	assert.ErrorIs(t, err, ecgrid.ErrServer)
	assert.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown, "the SOAP failure's outcome decides")
	assert.NotErrorIs(t, err, ecgrid.ErrUnavailable, "one error, one kind: the REST failure is kept, not matched")
	require.NotNil(t, e.Fallback)
	assert.Equal(t, ecgrid.ErrUnavailable, e.Fallback.Kind, "the REST failure is kept")
	assert.Equal(t, ecgrid.REST, e.Fallback.Transport)
	assert.Contains(t, err.Error(), "before the fallback to SOAP")
}

// TestNoFallbackOnCredentialFailure: a REST call refused before sending for
// its credential (a provider that gives only a SOAP session ID) is not a
// REST outage: it does not fall back to SOAP.
func TestNoFallbackOnCredentialFailure(t *testing.T) {
	restSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) { success(testNewKey)(w, r, "") })
	soapSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) { success(testNewKey)(w, r, "1.1") })
	c, err := ecgrid.New(ecgrid.WithCredentialsProvider(ecgrid.StaticProvider(ecgrid.Credentials{SessionID: testSessionID})),
		ecgrid.WithRESTURL(restSrv.URL), ecgrid.WithSOAPURL(soapSrv.URL), ecgrid.WithSOAPFallback())
	require.NoError(t, err)
	_, err = c.Users().GenerateAPIKey(context.Background(), 42)
	require.ErrorIs(t, err, ecgrid.ErrInvalidInput)
	var e *ecgrid.Error
	require.ErrorAs(t, err, &e)
	assert.Nil(t, e.Fallback)
	assert.Equal(t, ecgrid.REST, e.Transport)
	assert.Zero(t, restSrv.hits.Load())
	assert.Zero(t, soapSrv.hits.Load(), "no fallback")
}

// TestDefaultBackoffHonoursRetryAfter: with the default backoff, a 429
// asking for one second is retried no sooner.
func TestDefaultBackoffHonoursRetryAfter(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	answer, _ := sequence(both(429, "text/plain", "slow down", "Retry-After", "1"), success(testNewKey))
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		answer(w, r, versionOf(r))
	})
	c := clientFor(t, transports[0], s.URL, ecgrid.WithRetryPolicy(ecgrid.DefaultRetryPolicy()))
	_, err := c.Users().GenerateAPIKey(context.Background(), 42)
	require.NoError(t, err)
	require.Len(t, at, 2)
	assert.GreaterOrEqual(t, at[1].Sub(at[0]), time.Second, "the wait the service asked for")
}

// failingProvider is a CredentialsProvider that fails with err.
type failingProvider struct{ err error }

func (p failingProvider) Credentials(context.Context) (ecgrid.Credentials, error) {
	return ecgrid.Credentials{}, p.err
}

// TestProviderErrorIsNotALoginFailure: a provider that fails with an *Error
// of its own (it called ECGrid itself) is a provider failure,
// ErrUnauthorized, not a login failure of the provider's kind.
func TestProviderErrorIsNotALoginFailure(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { success(testNewKey)(w, r, "") })
	inner := &ecgrid.Error{Op: "GetAPIKey", Kind: ecgrid.ErrServer, Outcome: ecgrid.OutcomeUnknown, Message: "the vault's call failed"}
	c, err := ecgrid.New(ecgrid.WithCredentialsProvider(failingProvider{inner}), ecgrid.WithRESTURL(s.URL))
	require.NoError(t, err)
	_, err = c.Users().GenerateAPIKey(context.Background(), 42)
	require.ErrorIs(t, err, ecgrid.ErrUnauthorized)
	assertOneKind(t, err)
	assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown), "nothing was sent")
	assert.NotContains(t, err.Error(), "logging in failed")
	assert.Contains(t, err.Error(), "the credentials provider failed")
	assert.Contains(t, err.Error(), "the vault's call failed")
	assert.Zero(t, s.hits.Load())
}
