package ecgrid_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// class is what a row must produce.
type class int

const (
	ok       class = iota // a key
	definite              // an error; the old key still works
	unknown               // an error with ErrOutcomeUnknown (GenerateAPIKey only)
)

type matrixRow struct {
	name     string
	fault    *ecgridtest.Fault // nil: no fault
	kind     error             // for errors
	generate class             // GenerateAPIKey's class
	get      class             // GetAPIKey's class
	timeout  time.Duration     // WithTimeout
	special  string            // "refused", "expired", "redirect"
}

func fault(f ecgridtest.Fault) *ecgridtest.Fault {
	if f.Times == 0 {
		f.Times = 10 // more than any retry policy makes
	}
	return &f
}

var matrix = []matrixRow{
	{name: "success", generate: ok, get: ok},
	{name: "400 InvalidParameter", fault: fault(ecgridtest.Fault{Status: 400, RESTCode: "InvalidParameter", SOAPCode: "InvalidParameter"}), kind: ecgrid.ErrInvalidInput, generate: definite, get: definite},
	{name: "401 InvalidAPIKey", fault: fault(ecgridtest.Fault{Status: 401, RESTCode: "InvalidAPIKey", SOAPCode: "Authentication"}), kind: ecgrid.ErrUnauthorized, generate: definite, get: definite},
	{name: "403 AccessDenied", fault: fault(ecgridtest.Fault{Status: 403, RESTCode: "AccessDenied", SOAPCode: "Authorization"}), kind: ecgrid.ErrForbidden, generate: definite, get: definite},
	{name: "404 ObjectNotFound", fault: fault(ecgridtest.Fault{Status: 404, RESTCode: "ObjectNotFound", SOAPCode: "ObjectNotFound"}), kind: ecgrid.ErrNotFound, generate: definite, get: definite},
	{name: "429 persistent", fault: fault(ecgridtest.Fault{Status: 429, RESTCode: "RateLimitExceeded", RetryAfter: "1"}), kind: ecgrid.ErrRateLimited, generate: definite, get: definite},
	{name: "429 once then success", fault: &ecgridtest.Fault{Times: 1, Status: 429, RESTCode: "RateLimitExceeded", RetryAfter: "1"}, generate: ok, get: ok},
	{name: "503 persistent", fault: fault(ecgridtest.Fault{Status: 503}), kind: ecgrid.ErrUnavailable, generate: definite, get: definite},
	{name: "503 once then success", fault: &ecgridtest.Fault{Times: 1, Status: 503}, generate: ok, get: ok},
	{name: "Client fault numeric code", fault: fault(ecgridtest.Fault{Status: 400, RESTCode: "InvalidParameter", FaultCode: "Client", SOAPCode: "5"}), kind: ecgrid.ErrInvalidInput, generate: definite, get: definite},
	{name: "500 after rotating", fault: fault(ecgridtest.Fault{Status: 500, Apply: true}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "500 without rotating", fault: fault(ecgridtest.Fault{Status: 500}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "500 once then success", fault: &ecgridtest.Fault{Times: 1, Status: 500}, kind: ecgrid.ErrServer, generate: unknown, get: ok},
	{name: "502 HTML page", fault: fault(ecgridtest.Fault{HTML: true, Status: 502, Apply: true}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "504", fault: fault(ecgridtest.Fault{Status: 504}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "200 HTML page", fault: fault(ecgridtest.Fault{HTML: true, Status: 200, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "success:false with 200", fault: fault(ecgridtest.Fault{SuccessFalse: true, Apply: true}), kind: ecgrid.ErrServer, generate: unknown, get: definite},
	{name: "empty key", fault: fault(ecgridtest.Fault{EmptyKey: true, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "truncated body", fault: fault(ecgridtest.Fault{Truncate: true, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "oversized body", fault: fault(ecgridtest.Fault{Oversize: 3 << 20, Apply: true}), kind: ecgrid.ErrBadResponse, generate: unknown, get: definite},
	{name: "dropped after rotating", fault: fault(ecgridtest.Fault{Drop: ecgridtest.DropAfterApply}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite},
	{name: "dropped before rotating", fault: fault(ecgridtest.Fault{Drop: ecgridtest.DropBeforeApply}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite},
	{name: "slow server, deadline, after rotating", fault: fault(ecgridtest.Fault{Delay: 3 * time.Second, Apply: true}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite, timeout: 500 * time.Millisecond},
	{name: "slow server, deadline, not rotated", fault: fault(ecgridtest.Fault{Delay: 3 * time.Second}), kind: ecgrid.ErrUnavailable, generate: unknown, get: definite, timeout: 500 * time.Millisecond},
	{name: "timeout before sending", special: "expired", kind: ecgrid.ErrUnavailable, generate: definite, get: definite},
	{name: "connection refused", special: "refused", kind: ecgrid.ErrUnavailable, generate: definite, get: definite},
	{name: "cross-host redirect", special: "redirect", kind: ecgrid.ErrRedirect, generate: definite, get: definite},
}

// TestFaultMatrix runs every row on REST, SOAP 1.1 and SOAP 1.2, for both
// operations, and checks the server's truth: a definite failure leaves the
// old key working, a success returns the key that works while the old one
// doesn't, and an unknown outcome is recovered with GetAPIKey.
func TestFaultMatrix(t *testing.T) {
	rows, lost := 0, 0
	for _, row := range matrix {
		for _, tc := range transports {
			for _, op := range []string{"GenerateAPIKey", "GetAPIKey"} {
				rows++
				t.Run(row.name+"/"+tc.name+"/"+op, func(t *testing.T) {
					if !runMatrixRow(t, row, tc, op) {
						lost++
					}
				})
			}
		}
	}
	fmt.Printf("fault matrix: %d rows, %d keys lost\n", rows, lost)
	assert.Zero(t, lost, "keys lost")
}

// runMatrixRow runs one row and reports whether the key is safe: the caller
// holds the user's current key, or was told the outcome is unknown and could
// recover it.
func runMatrixRow(t *testing.T, row matrixRow, tc transportCase, op string) bool {
	srv := ecgridtest.NewServer(
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42, APIKey: userKey}),
	)
	defer srv.Close()

	opts := []ecgrid.Option{ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{Backoff: (&noWait{}).backoff})}
	if row.timeout > 0 {
		opts = append(opts, ecgrid.WithTimeout(row.timeout))
	}
	restURL, soapURL := srv.URL, srv.SOAPURL
	switch row.special {
	case "refused":
		restURL = closedURL(t)
		soapURL = restURL + "/soap"
	case "redirect":
		other := httptest.NewServer(nil)
		defer other.Close()
		srv.Inject(ecgridtest.Fault{Times: 10, RedirectTo: other.URL})
	}
	if row.fault != nil {
		srv.Inject(*row.fault)
	}
	c := userClient(t, tc, userKey, restURL, soapURL, opts...)

	ctx := context.Background()
	if row.special == "expired" {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
		defer cancel()
	}
	want := row.get
	if op == "GenerateAPIKey" {
		want = row.generate
	}
	key, err := call(ctx, c, op, 42)
	current, _ := srv.Key(42)

	switch want {
	case ok:
		require.NoError(t, err)
		assert.Equal(t, current, key, "the key returned is the server's current key")
		if op == "GenerateAPIKey" {
			assert.NotEqual(t, userKey, key)
			_, err := userClient(t, tc, userKey, srv.URL, srv.SOAPURL).Users().GetAPIKey(context.Background(), 42)
			assert.ErrorIs(t, err, ecgrid.ErrUnauthorized, "the old key is rejected")
			_, err = userClient(t, tc, key, srv.URL, srv.SOAPURL).Users().GetAPIKey(context.Background(), 42)
			assert.NoError(t, err, "the new key works")
		}
		return key == current
	case definite:
		require.Error(t, err)
		assert.ErrorIs(t, err, row.kind)
		assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown), "%v", err)
		assert.Equal(t, userKey, current, "a definite failure leaves the key unchanged")
		srv.Inject(ecgridtest.Fault{}) // nothing: faults left over are irrelevant below
		if row.special == "" || row.special == "expired" {
			drain(srv)
			got, err := userClient(t, tc, userKey, srv.URL, srv.SOAPURL).Users().GetAPIKey(context.Background(), 42)
			assert.NoError(t, err, "the old key still works")
			assert.Equal(t, userKey, got)
		}
		return current == userKey
	default: // unknown
		require.Error(t, err)
		assert.ErrorIs(t, err, row.kind)
		require.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown)
		assert.Contains(t, err.Error(), "GetAPIKey")
		drain(srv)
		recovered, rerr := userClient(t, tc, adminKey, srv.URL, srv.SOAPURL).Users().GetAPIKey(context.Background(), 42)
		require.NoError(t, rerr, "recovery with GetAPIKey")
		assert.Equal(t, current, recovered)
		_, err = userClient(t, tc, recovered, srv.URL, srv.SOAPURL).Users().GetAPIKey(context.Background(), 42)
		assert.NoError(t, err, "the recovered key works")
		return rerr == nil && recovered == current
	}
}

// drain consumes the faults still queued, so a check afterwards sees the
// server's normal behaviour.
func drain(srv *ecgridtest.Server) {
	c, _ := ecgrid.New(ecgrid.WithAPIKey(adminKey), ecgrid.WithRESTURL(srv.URL),
		ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1}), ecgrid.WithTimeout(50*time.Millisecond))
	for i := 0; srv.PendingFaults() > 0 && i < 20; i++ {
		_, _ = c.Users().GetAPIKey(context.Background(), 1)
	}
}

func userClient(t *testing.T, tc transportCase, key, restURL, soapURL string, opts ...ecgrid.Option) *ecgrid.Client {
	t.Helper()
	all := []ecgrid.Option{ecgrid.WithAPIKey(key), ecgrid.WithRESTURL(restURL), ecgrid.WithSOAPURL(soapURL)}
	if tc.version != "" {
		all = append(all, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)))
	}
	c, err := ecgrid.New(append(all, opts...)...)
	require.NoError(t, err)
	return c
}
