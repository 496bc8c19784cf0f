package ecgrid_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// TestMigrateToREST moves user 42 from a SOAP login to a verified REST key,
// on SOAP 1.1 and 1.2, and checks the fake's state each time.
func TestMigrateToREST(t *testing.T) {
	cases := []struct {
		name       string
		level      ecgridtest.AuthLevel
		fake       []ecgridtest.Option
		fault      *ecgridtest.Fault
		password   string
		opts       ecgrid.MigrateOptions
		otherREST  bool // REST is another service, which does not know the key
		wantErr    error
		unknown    bool
		reused     bool
		rotations  int
		recovered  bool
		persisted  bool
		verified   bool
		persistErr error    // what Persist returns
		says       []string // in the error's text
	}{
		{name: "reuse the key an admin may read", level: ecgridtest.AuthLevelNetworkAdmin,
			reused: true, persisted: true, verified: true},
		{name: "reuse when users may read their own key", fake: []ecgridtest.Option{ecgridtest.WithSelfKeyRead()},
			reused: true, persisted: true, verified: true},
		{name: "rotate", opts: ecgrid.MigrateOptions{Rotate: true}, rotations: 1, persisted: true, verified: true},
		{name: "rotate, answer lost, recovered with the session", fake: []ecgridtest.Option{ecgridtest.WithSelfKeyRead()},
			fault: &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply},
			opts:  ecgrid.MigrateOptions{Rotate: true}, rotations: 1, recovered: true, persisted: true, verified: true},
		{name: "rotate, answer lost, the user may not read its key", fault: &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply},
			opts: ecgrid.MigrateOptions{Rotate: true}, rotations: 1, wantErr: ecgrid.ErrUnavailable, unknown: true},
		{name: "the read refused without Rotate: nothing changes", wantErr: ecgrid.ErrForbidden},
		{name: "not confirmed", opts: ecgrid.MigrateOptions{Rotate: true,
			Confirm: func(context.Context, int) (bool, error) { return false, nil }}, wantErr: ecgrid.ErrInvalidInput},
		{name: "REST refuses the key", level: ecgridtest.AuthLevelNetworkAdmin, opts: ecgrid.MigrateOptions{Rotate: true},
			otherREST: true, rotations: 1, persisted: true, wantErr: ecgrid.ErrVerify},
		{name: "wrong password", password: "not-the-password", wantErr: ecgrid.ErrUnauthorized},
		{name: "Persist fails after a rotation", opts: ecgrid.MigrateOptions{Rotate: true}, persistErr: errors.New("disk full"),
			rotations: 1, wantErr: ecgrid.ErrPersist, says: []string{"MigrateOptions.Persist failed", "Migration.Key", "disk full"}},
		{name: "Persist fails on a reused key", level: ecgridtest.AuthLevelNetworkAdmin, persistErr: errors.New("disk full"),
			reused: true, wantErr: ecgrid.ErrPersist, says: []string{"MigrateOptions.Persist failed", "the key was not changed"}},
	}
	for _, cs := range cases {
		for _, v := range []ecgrid.SOAPVersion{ecgrid.SOAP11, ecgrid.SOAP12} {
			t.Run(cs.name+"/"+string(v), func(t *testing.T) {
				srv := ecgridtest.NewServer(append([]ecgridtest.Option{
					ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}),
					ecgridtest.WithUser(ecgridtest.User{ID: 42, Level: cs.level, APIKey: userKey, Login: login42, Password: password42}),
				}, cs.fake...)...)
				defer srv.Close()
				if cs.fault != nil {
					srv.Inject(*cs.fault)
				}
				restURL := srv.URL
				if cs.otherREST {
					other := ecgridtest.NewServer()
					defer other.Close()
					restURL = other.URL
				}
				password := password42
				if cs.password != "" {
					password = cs.password
				}
				c, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(v),
					ecgrid.WithSOAPURL(srv.SOAPURL), ecgrid.WithLogin(login42, password))
				require.NoError(t, err)
				var stored string
				opts := cs.opts
				opts.Persist = func(_ context.Context, k string) error {
					if cs.persistErr != nil {
						return cs.persistErr
					}
					stored = k
					return nil
				}
				opts.REST = []ecgrid.Option{ecgrid.WithRESTURL(restURL)}
				m, err := c.MigrateToREST(context.Background(), opts)
				current, _ := srv.Key(42)
				if m.Rotated || m.Reused {
					assert.Equal(t, current, m.Key, "Migration.Key is the server's key")
				}
				if err != nil {
					var e *ecgrid.Error
					require.ErrorAs(t, err, &e)
					assert.NotEqual(t, "RotateAPIKey", e.Op, "a migration reports no call the caller did not make: %v", err)
					if errors.Is(err, ecgrid.ErrPersist) || errors.Is(err, ecgrid.ErrVerify) {
						assert.Equal(t, "MigrateToREST", e.Op, "%v", err)
					}
					for _, want := range cs.says {
						assert.Contains(t, err.Error(), want)
					}
					assert.NotContains(t, err.Error(), "Rotation.", "a migration's advice names Migration")
					assert.NotContains(t, err.Error(), "RotateOptions.")
				}

				if cs.wantErr != nil {
					require.ErrorIs(t, err, cs.wantErr)
					assertOneKind(t, err)
					assert.Equal(t, cs.unknown, errors.Is(err, ecgrid.ErrOutcomeUnknown), "%v", err)
					assert.NotContains(t, err.Error(), current)
					assert.NotContains(t, err.Error(), password)
				} else {
					require.NoError(t, err)
				}
				if cs.password == "" {
					assert.Equal(t, 42, m.UserID, "WhoAmI's user")
				}
				assert.Equal(t, cs.rotations, srv.Rotations(42))
				assert.Equal(t, cs.reused, m.Reused)
				assert.Equal(t, cs.rotations > 0 && !cs.unknown, m.Rotated)
				assert.Equal(t, cs.recovered, m.Recovered)
				assert.Equal(t, cs.persisted, m.Persisted)
				assert.Equal(t, cs.verified, m.Verified)
				if cs.persisted {
					assert.Equal(t, current, stored, "the key persisted is the server's")
					assert.Equal(t, current, m.Key)
				} else {
					assert.Empty(t, stored)
				}
				if cs.rotations == 0 {
					assert.Equal(t, userKey, current, "nothing changed")
				}
				if cs.password == "" {
					assert.Equal(t, 1, srv.Logins())
					assert.Equal(t, 1, srv.Logouts(), "logged out, also on failure")
					assert.True(t, m.LoggedOut)
				}
			})
		}
	}
}

// TestSOAPNamespaceDiscovery: against a service in the reference pages'
// namespace, a client on the default namespace succeeds with one extra
// request the first time and none after, and logs the change; a pinned
// namespace does not switch.
func TestSOAPNamespaceDiscovery(t *testing.T) {
	for _, v := range []ecgrid.SOAPVersion{ecgrid.SOAP11, ecgrid.SOAP12} {
		t.Run(string(v), func(t *testing.T) {
			srv := ecgridtest.NewServer(ecgridtest.WithNamespace("http://www.ecgridos.net/"),
				ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}),
				ecgridtest.WithUser(ecgridtest.User{ID: 42, APIKey: userKey}))
			defer srv.Close()
			var logs bytes.Buffer
			c, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(v), ecgrid.WithSOAPURL(srv.SOAPURL),
				ecgrid.WithAPIKey(adminKey), ecgrid.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			require.NoError(t, err)
			_, err = c.Users().GenerateAPIKey(context.Background(), 42)
			require.NoError(t, err)
			assert.Len(t, srv.Requests(), 2, "one extra request the first time")
			assert.Equal(t, 1, srv.Rotations(42), "the unrecognised call was not processed")
			assert.Contains(t, logs.String(), "http://www.ecgridos.net/")
			_, err = c.Users().GetAPIKey(context.Background(), 42)
			require.NoError(t, err)
			assert.Len(t, srv.Requests(), 3, "none after")

			pinned, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(v), ecgrid.WithSOAPURL(srv.SOAPURL),
				ecgrid.WithAPIKey(adminKey), ecgrid.WithSOAPNamespace(ecgrid.DefaultSOAPNamespace))
			require.NoError(t, err)
			_, err = pinned.Users().GenerateAPIKey(context.Background(), 42)
			require.ErrorIs(t, err, ecgrid.ErrInvalidInput, "the service's Client fault")
			assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown), "an unrecognised action was not processed")
			assert.Len(t, srv.Requests(), 4, "a pinned namespace does not switch")
			assert.Equal(t, 1, srv.Rotations(42))
		})
	}
}

// TestMigrateToRESTReadsTheKeyOnce: when the read of the user's key was
// refused and Rotate is set, the rotation does not read it again.
func TestMigrateToRESTReadsTheKeyOnce(t *testing.T) {
	srv := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42, APIKey: userKey, Login: login42, Password: password42}))
	defer srv.Close()
	c, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(srv.SOAPURL), ecgrid.WithLogin(login42, password42))
	require.NoError(t, err)
	m, err := c.MigrateToREST(context.Background(), ecgrid.MigrateOptions{Rotate: true,
		Persist: func(context.Context, string) error { return nil }, REST: []ecgrid.Option{ecgrid.WithRESTURL(srv.URL)}})
	require.NoError(t, err)
	assert.True(t, m.Rotated)
	assert.Equal(t, 1, srv.Rotations(42))
	assert.Equal(t, 1, count(srv, "GetAPIKey"), "one read of the key")
}
