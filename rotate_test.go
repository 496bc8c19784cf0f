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
	cases := []struct {
		name       string
		fault      *ecgridtest.Fault
		opts       func(stored *string) ecgrid.RotateOptions
		wantErr    error // nil: success
		switched   bool
		verified   bool
		recovered  bool
		wantKeySet bool // Rotation.Key holds the server's current key
		rotated    bool // the server's key changed
	}{
		{name: "self, persist, verify", opts: func(s *string) ecgrid.RotateOptions {
			return ecgrid.RotateOptions{Self: true, Verify: true, Persist: func(_ context.Context, k string) error { *s = k; return nil }}
		}, switched: true, verified: true, wantKeySet: true, rotated: true},
		{name: "not self: the client keeps its key", opts: func(*string) ecgrid.RotateOptions { return ecgrid.RotateOptions{} },
			wantKeySet: true, rotated: true},
		{name: "persist fails: the key is still returned", opts: func(*string) ecgrid.RotateOptions {
			return ecgrid.RotateOptions{Self: true, Persist: func(_ context.Context, k string) error {
				return fmt.Errorf("vault is down (was storing %s)", k)
			}}
		}, wantErr: ecgrid.ErrPersist, switched: true, wantKeySet: true, rotated: true},
		{name: "lost answer after rotating: recovered with the admin", fault: &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply},
			opts: func(s *string) ecgrid.RotateOptions {
				return ecgrid.RotateOptions{Self: true, Recovery: &admin, Persist: func(_ context.Context, k string) error { *s = k; return nil }}
			}, switched: true, recovered: true, wantKeySet: true, rotated: true},
		{name: "lost answer before rotating: nothing changed", fault: &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropBeforeApply},
			opts:    func(*string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true, Recovery: &admin} },
			wantErr: ecgrid.ErrUnavailable, recovered: true},
		{name: "lost answer, recovery with the dead key fails", fault: &ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply},
			opts:    func(*string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true} },
			wantErr: ecgrid.ErrUnauthorized, rotated: true},
		{name: "definite failure: no recovery attempted", fault: &ecgridtest.Fault{Op: "GenerateAPIKey", Status: 403, RESTCode: "AccessDenied", SOAPCode: "Authorization"},
			opts:    func(*string) ecgrid.RotateOptions { return ecgrid.RotateOptions{Self: true, Recovery: &admin} },
			wantErr: ecgrid.ErrForbidden},
	}
	for _, cs := range cases {
		for _, tc := range transports {
			t.Run(cs.name+"/"+tc.name, func(t *testing.T) {
				srv := fakeECGrid()
				defer srv.Close()
				if cs.fault != nil {
					srv.Inject(*cs.fault)
				}
				c := userClient(t, tc, userKey, srv.URL, srv.SOAPURL)
				var stored string
				r, err := c.RotateAPIKey(context.Background(), 42, cs.opts(&stored))
				current, _ := srv.Key(42)

				if cs.wantErr == nil {
					require.NoError(t, err)
				} else {
					assert.Equal(t, cs.rotated, errors.Is(err, ecgrid.ErrOutcomeUnknown) || errors.Is(err, ecgrid.ErrPersist),
						"only a failure after which the key may have changed is unknown")
					require.ErrorIs(t, err, cs.wantErr)
					assertNoSecret(t, err.Error())
					assert.NotContains(t, err.Error(), current, "the new key must not be in the error")
				}
				assert.Equal(t, cs.rotated, current != userKey, "server rotated")
				assert.Equal(t, cs.switched, r.Switched)
				assert.Equal(t, cs.verified, r.Verified)
				assert.Equal(t, cs.recovered, r.Recovered)
				if cs.wantKeySet {
					assert.Equal(t, current, r.Key, "Rotation.Key is the server's current key")
				} else {
					assert.Empty(t, r.Key)
				}
				if stored != "" {
					assert.Equal(t, current, stored)
				}
				assert.NotContains(t, fmt.Sprintf("%v %+v %#v", r, r, r), current)

				// The client works afterwards when it switched, or when nothing changed.
				if r.Switched || !cs.rotated {
					_, err := c.Users().GetAPIKey(context.Background(), 42)
					assert.NoError(t, err, "the client still works")
				}
			})
		}
	}
}

// TestRotateAPIKeyRejectsBadRecovery checks RotateOptions are checked first.
func TestRotateAPIKeyRejectsBadRecovery(t *testing.T) {
	srv := fakeECGrid()
	defer srv.Close()
	c := userClient(t, transports[1], userKey, srv.URL, srv.SOAPURL)
	_, err := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{Recovery: &ecgrid.Credentials{BearerToken: "tok"}})
	require.ErrorIs(t, err, ecgrid.ErrInvalidInput)
	assert.Equal(t, 0, srv.Rotations(42))
	assert.False(t, errors.Is(err, ecgrid.ErrOutcomeUnknown))
}
