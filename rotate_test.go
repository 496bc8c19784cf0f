package ecgrid_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// TestRotateAPIKey covers RotateAPIKey's steps and failures on every
// transport, checking the key against the server each time.
func TestRotateAPIKey(t *testing.T) {
	admin := ecgrid.Credentials{APIKey: adminKey}
	store := func(s *string) func(context.Context, string) error {
		return func(_ context.Context, k string) error { *s = k; return nil }
	}
	cases := []struct {
		name      string
		caller    string            // the client's API key; "session" for user 42's SOAP session
		userID    int               // the user rotated; 0 with Self: found with WhoAmI
		fault     *ecgridtest.Fault // injected before the call
		opts      func(stored *string) ecgrid.RotateOptions
		wantErr   error // nil: success
		unknown   bool  // the error matches ErrOutcomeUnknown
		rotated   bool  // the server's key changed
		switched  bool
		verified  bool
		recovered bool
		keyIsOld  bool // Rotation.Key is the previous key (works now, not rotated)
	}{
		{name: "self, persist, verify", caller: userKey, userID: 42,
			opts: func(s *string) ecgrid.RotateOptions {
				return ecgrid.RotateOptions{Self: true, Verify: true, Persist: store(s)}
			}, rotated: true, switched: true, verified: true},
		{name: "self, user ID from WhoAmI", caller: userKey, userID: 0,
			opts:    func(s *string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true, Persist: store(s)} },
			rotated: true, switched: true},
		{name: "admin rotates another user: the client keeps its key", caller: adminKey, userID: 42,
			opts: func(s *string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Verify: true} }, rotated: true, verified: true},
		{name: "self on a SOAP session: no switch needed", caller: "session", userID: 42,
			opts: func(s *string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true, Verify: true} }, rotated: true, verified: true},
		{name: "persist fails: the key is still returned", caller: userKey, userID: 42,
			opts: func(*string) ecgrid.RotateOptions {
				return ecgrid.RotateOptions{Self: true, Persist: func(_ context.Context, k string) error {
					return fmt.Errorf("vault is down (was storing %s)", k)
				}}
			}, wantErr: ecgrid.ErrPersist, rotated: true, switched: true},
		{name: "verify fails", caller: adminKey, userID: 42,
			fault:   &ecgridtest.Fault{Op: "WhoAmI", Status: 401, RESTCode: "InvalidAPIKey", SOAPCode: "Authentication", Times: ecgridtest.Forever},
			opts:    func(s *string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Verify: true, Persist: store(s)} },
			wantErr: ecgrid.ErrVerify, rotated: true},
		{name: "lost answer after rotating: recovered with the admin", caller: userKey, userID: 42,
			fault: &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply},
			opts: func(s *string) ecgrid.RotateOptions {
				return ecgrid.RotateOptions{Self: true, Recovery: &admin, Persist: store(s)}
			}, rotated: true, switched: true, recovered: true},
		{name: "lost answer before rotating: not settled", caller: userKey, userID: 42,
			fault:   &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropBeforeApply},
			opts:    func(*string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true, Recovery: &admin} },
			wantErr: ecgrid.ErrUnavailable, unknown: true, recovered: true, keyIsOld: true},
		{name: "lost answer, recovery with the dead key fails", caller: userKey, userID: 42,
			fault:   &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply},
			opts:    func(*string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true} },
			wantErr: ecgrid.ErrUnavailable, unknown: true, rotated: true},
		{name: "definite failure: no recovery attempted", caller: userKey, userID: 42,
			fault:   &ecgridtest.Fault{Op: "GenerateAPIKey", Status: 403, RESTCode: "AccessDenied", SOAPCode: "Authorization"},
			opts:    func(*string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true, Recovery: &admin} },
			wantErr: ecgrid.ErrForbidden},
	}
	for _, cs := range cases {
		for _, tc := range transports {
			if cs.caller == "session" && tc.version == "" {
				continue
			}
			t.Run(cs.name+"/"+tc.name, func(t *testing.T) {
				srv := fakeECGrid()
				defer srv.Close()
				srv.AddSession(42, "session-42-abcdef")
				if cs.fault != nil {
					srv.Inject(*cs.fault)
				}
				var c *ecgrid.Client
				if cs.caller == "session" {
					var err error
					c, err = ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)),
						ecgrid.WithSOAPURL(srv.SOAPURL), ecgrid.WithSessionID("session-42-abcdef"))
					require.NoError(t, err)
				} else {
					c = userClient(t, tc, cs.caller, srv.URL, srv.SOAPURL)
				}
				var stored string
				r, err := c.RotateAPIKey(context.Background(), cs.userID, cs.opts(&stored))
				current, _ := srv.Key(42)

				if cs.wantErr == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, cs.wantErr)
					assertOneKind(t, err)
					assert.Equal(t, cs.unknown, errors.Is(err, ecgrid.ErrOutcomeUnknown), "%v", err)
					assertNoSecret(t, err.Error())
					assert.NotContains(t, err.Error(), current, "the new key must not be in the error")
					if cs.wantErr == ecgrid.ErrVerify {
						assert.Contains(t, err.Error(), "the verification read failed", "the cause is kept")
						assert.Contains(t, err.Error(), "unauthorized")
					}
				}
				assert.Equal(t, cs.rotated, current != userKey, "server rotated")
				assert.Equal(t, cs.rotated && (cs.wantErr == nil || !cs.unknown), r.Rotated, "Rotated")
				assert.Equal(t, cs.switched, r.Switched, "Switched")
				assert.Equal(t, cs.verified, r.Verified, "Verified")
				assert.Equal(t, cs.recovered, r.Recovered, "Recovered")
				switch {
				case cs.keyIsOld:
					assert.Equal(t, userKey, r.Key, "the key that works now")
				case r.Rotated:
					assert.Equal(t, current, r.Key, "Rotation.Key is the server's current key")
				default:
					assert.Empty(t, r.Key)
				}
				if stored != "" {
					assert.Equal(t, current, stored)
				}
				assert.NotContains(t, fmt.Sprintf("%v %+v %#v", r, r, r), current)

				// The client works afterwards when it switched, or when nothing changed.
				if r.Switched || current == userKey || cs.caller != userKey {
					srv.ClearFaults()
					_, err := c.Sessions().WhoAmI(context.Background())
					assert.NoError(t, err, "the client still works")
				}
			})
		}
	}
}

// TestRotateAPIKeyRejectsBadOptions checks RotateOptions are checked before
// anything is sent.
func TestRotateAPIKeyRejectsBadOptions(t *testing.T) {
	cases := []struct {
		name   string
		userID int
		opts   ecgrid.RotateOptions
		want   string
	}{
		{"bearer token as recovery on SOAP", 42, ecgrid.RotateOptions{Recovery: &ecgrid.Credentials{BearerToken: "tok"}}, "RotateOptions.Recovery"},
		{"user 0 without Self", 0, ecgrid.RotateOptions{}, "set Self"},
		{"negative user", -4, ecgrid.RotateOptions{Self: true}, "out of range"},
		{"negative step timeout", 42, ecgrid.RotateOptions{StepTimeout: -1}, "StepTimeout"},
		{"previous key not printable", 42, ecgrid.RotateOptions{PreviousKey: "a\u202eb"}, "PreviousKey"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			srv := fakeECGrid()
			defer srv.Close()
			c := userClient(t, transports[1], adminKey, srv.URL, srv.SOAPURL)
			_, err := c.RotateAPIKey(context.Background(), cs.userID, cs.opts)
			require.ErrorIs(t, err, ecgrid.ErrInvalidInput)
			assert.Contains(t, err.Error(), cs.want)
			assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown))
			assert.Empty(t, srv.Requests(), "nothing sent")
		})
	}
}

// TestRecoveryUnderBothReadRules: a user on a SOAP session rotates its own
// key and the answer is lost. Where users may read their own key, the
// session (which survives the rotation) recovers it; under the vendor's
// rule (reading needs NetworkAdmin) the read is refused, the outcome stays
// unknown, and the advice says whose credential can read it.
func TestRecoveryUnderBothReadRules(t *testing.T) {
	for _, selfRead := range []bool{false, true} {
		for _, tc := range transports[1:] {
			t.Run(fmt.Sprintf("%s/selfRead=%t", tc.name, selfRead), func(t *testing.T) {
				opts := []ecgridtest.Option{ecgridtest.WithUser(ecgridtest.User{ID: 42, APIKey: userKey}),
					ecgridtest.WithSession(42, "session-42-abcdef")}
				if selfRead {
					opts = append(opts, ecgridtest.WithSelfKeyRead())
				}
				srv := ecgridtest.NewServer(opts...)
				defer srv.Close()
				srv.Inject(ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply})
				c, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)),
					ecgrid.WithSOAPURL(srv.SOAPURL), ecgrid.WithSessionID("session-42-abcdef"))
				require.NoError(t, err)
				r, err := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{Self: true})
				current, _ := srv.Key(42)
				require.NotEqual(t, userKey, current, "the server rotated")
				if selfRead {
					require.NoError(t, err)
					assert.True(t, r.Recovered)
					assert.True(t, r.Rotated)
					assert.Equal(t, current, r.Key)
					return
				}
				require.ErrorIs(t, err, ecgrid.ErrOutcomeUnknown)
				var e *ecgrid.Error
				require.ErrorAs(t, err, &e)
				require.NotNil(t, e.Recovery)
				assert.Equal(t, ecgrid.ErrForbidden, e.Recovery.Kind)
				assert.Contains(t, err.Error(), "NetworkAdmin")
				assert.False(t, r.Rotated)
				assert.Empty(t, r.Key)
			})
		}
	}
}

// TestPersistErrorOfThisPackage: a Persist that fails with an *Error (it
// called ECGrid itself) gives an ErrPersist error that matches one kind
// only, with the cause's text kept and other causes still found.
func TestPersistErrorOfThisPackage(t *testing.T) {
	srv := fakeECGrid()
	defer srv.Close()
	c, err := ecgrid.New(ecgrid.WithAPIKey(adminKey), ecgrid.WithRESTURL(srv.URL))
	require.NoError(t, err)
	inner := &ecgrid.Error{Op: "GetAPIKey", Kind: ecgrid.ErrServer, Outcome: ecgrid.OutcomeUnknown,
		Message: "the vault failed", Err: context.DeadlineExceeded}
	r, err := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{
		Persist: func(context.Context, string) error { return fmt.Errorf("storing: %w", inner) }})
	require.ErrorIs(t, err, ecgrid.ErrPersist)
	assertOneKind(t, err)
	assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown), "the outcome is the rotation's: applied")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "other causes are still found")
	assert.Contains(t, err.Error(), "the vault failed")
	assert.True(t, r.Rotated)
}
