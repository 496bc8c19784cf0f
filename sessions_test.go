package ecgrid_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// The login and password of user 42 on the fake started by sessionFake.
const (
	login42    = "alice@example.test"
	password42 = "pw-S3CR3T-42!"
)

// sessionFake starts the fake with an admin and user 42, who has a login
// and a password.
func sessionFake(t *testing.T, opts ...ecgridtest.Option) *ecgridtest.Server {
	t.Helper()
	srv := ecgridtest.NewServer(append([]ecgridtest.Option{
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42, APIKey: userKey, Login: login42, Password: password42,
			NetworkID: 7, MailboxID: 9}),
	}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// loginClient returns a client of transport tc that logs in as user 42.
func loginClient(t *testing.T, tc transportCase, srv *ecgridtest.Server, password string, opts ...ecgrid.Option) *ecgrid.Client {
	t.Helper()
	all := append(optsFor(tc, srv), ecgrid.WithLogin(login42, password))
	c, err := ecgrid.New(append(all, opts...)...)
	require.NoError(t, err)
	return c
}

// count returns how many logged requests have op.
func count(srv *ecgridtest.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

// TestSessionsExplicit: Login, WhoAmI with the session, Logout, and the
// session dead after.
func TestSessionsExplicit(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := sessionFake(t)
			c := userClient(t, tc, adminKey, srv.URL, srv.SOAPURL)
			s, err := c.Sessions().Login(context.Background(), login42, password42)
			require.NoError(t, err)
			assert.Equal(t, map[string]ecgrid.Transport{"": ecgrid.REST, "1.1": ecgrid.SOAP, "1.2": ecgrid.SOAP}[tc.version], s.Transport)
			assert.NotEmpty(t, s.Token)
			if tc.version == "" {
				assert.Equal(t, 42, s.UserID)
				assert.True(t, s.ExpiresAt.After(time.Now()))
			}
			assert.NotContains(t, fmt.Sprintf("%v %+v %#v", s, s, s), s.Token)

			sc, err := ecgrid.New(append(optsFor(tc, srv), credsOption(s))...)
			require.NoError(t, err)
			id, err := sc.Sessions().WhoAmI(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 42, id.UserID)
			assert.Equal(t, login42, id.Login)
			assert.Equal(t, 7, id.NetworkID)
			assert.Equal(t, 9, id.MailboxID)
			assert.Equal(t, "MailboxUser", id.AuthLevel)

			if tc.version == "" {
				s2, err := c.Sessions().Refresh(context.Background(), s)
				require.NoError(t, err)
				assert.NotEqual(t, s.Token, s2.Token)
				s = s2
				sc, err = ecgrid.New(append(optsFor(tc, srv), credsOption(s))...)
				require.NoError(t, err)
			}
			require.NoError(t, c.Sessions().Logout(context.Background(), s))
			assert.Equal(t, 1, srv.Logouts())
			_, err = sc.Sessions().WhoAmI(context.Background())
			assert.ErrorIs(t, err, ecgrid.ErrUnauthorized, "the session is dead after Logout")
		})
	}
}

// optsFor returns the options that aim a client of transport tc at srv.
func optsFor(tc transportCase, srv *ecgridtest.Server) []ecgrid.Option {
	opts := []ecgrid.Option{ecgrid.WithRESTURL(srv.URL), ecgrid.WithSOAPURL(srv.SOAPURL)}
	if tc.version != "" {
		opts = append(opts, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)))
	}
	return opts
}

func credsOption(s ecgrid.Session) ecgrid.Option {
	if s.Transport == ecgrid.REST {
		return ecgrid.WithBearerToken(s.Token)
	}
	return ecgrid.WithSessionID(s.Token)
}

// TestWithLogin: a program holding only a login and a password calls
// GenerateAPIKey, for as long as it runs, across session expiry; logs in
// lazily, once for 100 goroutines; logs out on Close.
func TestWithLogin(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := sessionFake(t)
			var logs bytes.Buffer
			c := loginClient(t, tc, srv, password42, ecgrid.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			assert.Empty(t, srv.Requests(), "New logs in lazily")

			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.Sessions().WhoAmI(context.Background())
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			assert.Equal(t, 1, srv.Logins(), "one login for 100 goroutines")

			key, err := c.Users().GenerateAPIKey(context.Background(), 42)
			require.NoError(t, err)
			current, _ := srv.Key(42)
			assert.Equal(t, current, key)

			// The session expires: one login again, and the call succeeds.
			require.Equal(t, 1, srv.ExpireSessions(42))
			srv.ResetRequests()
			key, err = c.Users().GenerateAPIKey(context.Background(), 42)
			require.NoError(t, err, "the call is repeated after one login")
			current, _ = srv.Key(42)
			assert.Equal(t, current, key)
			assert.Equal(t, 2, srv.Logins())
			assert.Equal(t, 1, count(srv, "Login"), "one login in the request log")
			assert.Equal(t, 2, count(srv, "GenerateAPIKey"), "refused once, repeated once")
			assert.Equal(t, 2, srv.Rotations(42), "the refused call did not rotate")

			require.NoError(t, c.Close(context.Background()))
			assert.Equal(t, 1, srv.Logouts(), "logged out on Close")
			_, err = c.Users().GenerateAPIKey(context.Background(), 42)
			require.ErrorIs(t, err, ecgrid.ErrInvalidInput, "a closed client sends nothing")
			assert.NoError(t, c.Close(context.Background()), "Close twice is fine")
			assert.Equal(t, 1, srv.Logouts())
			assert.NotContains(t, logs.String(), password42)
			assert.Contains(t, logs.String(), "logged in")
		})
	}
}

// TestWithLoginWrongPassword: a wrong password is ErrUnauthorized, one
// request, not retried, and the password is in no error, log or encoding.
func TestWithLoginWrongPassword(t *testing.T) {
	const wrong = "wrong-S3CR3T-pw"
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := sessionFake(t)
			var logs bytes.Buffer
			c := loginClient(t, tc, srv, wrong, ecgrid.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			_, err := c.Users().GenerateAPIKey(context.Background(), 42)
			require.ErrorIs(t, err, ecgrid.ErrUnauthorized)
			assertOneKind(t, err)
			assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown), "nothing was sent for the generation")
			assert.Len(t, srv.Requests(), 1, "one login, not retried, no generation")
			assert.Equal(t, 0, srv.Rotations(42))
			for _, out := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err), logs.String(), fmt.Sprint(c)} {
				assert.NotContains(t, out, wrong)
			}
			assert.Contains(t, err.Error(), "logging in failed")
		})
	}
}

// TestWithLoginRefreshesTheToken: a REST token is refreshed before it
// expires, without a new login.
func TestWithLoginRefreshesTheToken(t *testing.T) {
	srv := sessionFake(t, ecgridtest.WithSessionTTL(1200*time.Millisecond))
	c := loginClient(t, transports[0], srv, password42)
	_, err := c.Sessions().WhoAmI(context.Background())
	require.NoError(t, err)
	time.Sleep(950 * time.Millisecond) // within a quarter of the token's life of its end
	_, err = c.Sessions().WhoAmI(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Logins(), "refreshed, not logged in again")
	assert.Equal(t, 1, count(srv, "Refresh"))
	for _, r := range srv.Requests() {
		assert.NotEqual(t, "", r.Op)
	}
	assert.False(t, strings.Contains(fmt.Sprint(srv.Requests()), password42))
}

// TestRotateOwnKeyWithLogin: with Self and a login, RotateAPIKey needs
// neither the user's ID nor its key: WhoAmI gives the one, and the session,
// which survives the rotation, the rest.
func TestRotateOwnKeyWithLogin(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := sessionFake(t)
			c := loginClient(t, tc, srv, password42)
			var stored string
			r, err := c.RotateAPIKey(context.Background(), 0, ecgrid.RotateOptions{Self: true, Verify: true,
				Persist: func(_ context.Context, k string) error { stored = k; return nil }})
			require.NoError(t, err)
			current, _ := srv.Key(42)
			assert.Equal(t, current, r.Key)
			assert.Equal(t, current, stored)
			assert.True(t, r.Rotated)
			assert.True(t, r.Verified)
			assert.False(t, r.Switched, "the session survives: nothing to switch")
			_, err = c.Sessions().WhoAmI(context.Background())
			assert.NoError(t, err)
			require.NoError(t, c.Close(context.Background()))
		})
	}
}

// TestWithLoginUnavailableNotRetriedTwice: a login that keeps failing with
// 503 is retried by the login's own attempts only, not once more per
// attempt of the call that needed it: MaxAttempts login requests, and the
// error counts them.
func TestWithLoginUnavailableNotRetriedTwice(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := sessionFake(t)
			srv.Inject(ecgridtest.Fault{Op: ecgridtest.OpLogin, Status: 503, Times: ecgridtest.Forever})
			c := loginClient(t, tc, srv, password42, ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{
				Backoff: func(int, time.Duration) time.Duration { return time.Millisecond }}))
			_, err := c.Users().GetAPIKey(context.Background(), 42)
			require.ErrorIs(t, err, ecgrid.ErrUnavailable)
			assertOneKind(t, err)
			var e *ecgrid.Error
			require.ErrorAs(t, err, &e)
			max := ecgrid.DefaultRetryPolicy().MaxAttempts
			assert.Equal(t, max, count(srv, "Login"), "the login's own attempts only")
			assert.Equal(t, max, len(srv.Requests()), "nothing else was sent")
			assert.Equal(t, max, e.Attempts)
		})
	}
}

// TestSOAPFallbackSkipsSessions: a session belongs to the transport that
// made it, so Login, Refresh and Logout never fall back to SOAP: with REST
// unreachable, Login returns the REST failure and SOAP sees no Login.
func TestSOAPFallbackSkipsSessions(t *testing.T) {
	srv := sessionFake(t)
	c, err := ecgrid.New(ecgrid.WithAPIKey(userKey), ecgrid.WithRESTURL(closedURL(t)), ecgrid.WithSOAPURL(srv.SOAPURL),
		ecgrid.WithSOAPFallback(), ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	_, err = c.Sessions().Login(context.Background(), login42, password42)
	require.ErrorIs(t, err, ecgrid.ErrUnavailable)
	assertOneKind(t, err)
	var e *ecgrid.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, ecgrid.REST, e.Transport, "the REST failure")
	assert.Nil(t, e.Fallback, "no fallback")
	assert.Zero(t, count(srv, "Login"), "no SOAP Login")
	assert.Zero(t, srv.Logins())

	err = c.Sessions().Logout(context.Background(), ecgrid.Session{Token: "some-rest-token", Transport: ecgrid.REST})
	require.ErrorIs(t, err, ecgrid.ErrUnavailable)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, ecgrid.REST, e.Transport)
	_, err = c.Sessions().Refresh(context.Background(), ecgrid.Session{Token: "some-rest-token", Transport: ecgrid.REST})
	require.ErrorIs(t, err, ecgrid.ErrUnavailable)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, ecgrid.REST, e.Transport)
	assert.Empty(t, srv.Requests(), "SOAP saw nothing")

	// A portable operation still falls back.
	id, err := c.Sessions().WhoAmI(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 42, id.UserID)
}
