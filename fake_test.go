package ecgrid_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// TestFakeAuthRules drives ecgridtest's auth-level rules through the SDK on
// every transport: a user acts on itself, acting on another user needs
// NetworkAdmin, an unknown user is not found, and a rotated key is dead.
func TestFakeAuthRules(t *testing.T) {
	const otherKey = "43434343-aaaa-bbbb-cccc-000000000043"
	cases := []struct {
		name   string
		key    string
		target int
		op     string
		want   error // nil: success
	}{
		{"user reads itself: the reference needs NetworkAdmin", userKey, 42, "GetAPIKey", ecgrid.ErrForbidden},
		{"user rotates itself", userKey, 42, "GenerateAPIKey", nil},
		{"user reads another", userKey, 43, "GetAPIKey", ecgrid.ErrForbidden},
		{"user rotates another", userKey, 43, "GenerateAPIKey", ecgrid.ErrForbidden},
		{"user reads an unknown user", userKey, 99, "GetAPIKey", ecgrid.ErrForbidden},
		{"admin reads another", adminKey, 43, "GetAPIKey", nil},
		{"admin rotates another", adminKey, 43, "GenerateAPIKey", nil},
		{"admin reads an unknown user", adminKey, 99, "GetAPIKey", ecgrid.ErrNotFound},
		{"admin rotates an unknown user", adminKey, 99, "GenerateAPIKey", ecgrid.ErrNotFound},
		{"unknown key", "00000000-0000-0000-0000-000000000000", 42, "GetAPIKey", ecgrid.ErrUnauthorized},
	}
	for _, cs := range cases {
		for _, tc := range transports {
			t.Run(cs.name+"/"+tc.name, func(t *testing.T) {
				srv := fakeECGrid()
				defer srv.Close()
				srv.AddUser(ecgridtest.User{ID: 43, APIKey: otherKey})
				before, _ := srv.Key(cs.target)
				c := userClient(t, tc, cs.key, srv.URL, srv.SOAPURL)
				key, err := call(context.Background(), c, cs.op, cs.target)
				after, _ := srv.Key(cs.target)
				if cs.want != nil {
					require.ErrorIs(t, err, cs.want)
					assert.Equal(t, before, after, "a refused call changes nothing")
					return
				}
				require.NoError(t, err)
				assert.Equal(t, after, key)
				if cs.op == "GenerateAPIKey" {
					assert.NotEqual(t, before, after)
					_, err := userClient(t, tc, before, srv.URL, srv.SOAPURL).Users().GetAPIKey(context.Background(), cs.target)
					assert.ErrorIs(t, err, ecgrid.ErrUnauthorized, "the old key is dead")
				}
			})
		}
	}
}

// TestFakeSessionID checks a seeded SOAP session authenticates, and outlives
// a rotation of the user's key (which the user may not read: WhoAmI shows
// the session still works).
func TestFakeSessionID(t *testing.T) {
	for _, v := range []ecgrid.SOAPVersion{ecgrid.SOAP11, ecgrid.SOAP12} {
		t.Run(string(v), func(t *testing.T) {
			srv := fakeECGrid()
			defer srv.Close()
			srv.AddSession(42, "session-42")
			c, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(v),
				ecgrid.WithSessionID("session-42"), ecgrid.WithSOAPURL(srv.SOAPURL))
			require.NoError(t, err)
			k1, err := c.Users().GenerateAPIKey(context.Background(), 42)
			require.NoError(t, err)
			current, _ := srv.Key(42)
			assert.Equal(t, current, k1)
			id, err := c.Sessions().WhoAmI(context.Background())
			require.NoError(t, err, "the session survived the rotation")
			assert.Equal(t, 42, id.UserID)
		})
	}
}

// TestBasePath mounts the fake under a path prefix, so a transport that
// ignored the configured URL's path and used absolute paths would fail.
func TestBasePath(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecgridtest.NewServer(ecgridtest.WithBasePath("/mount/ecgrid"),
				ecgridtest.WithUser(ecgridtest.User{ID: 42, APIKey: userKey}))
			defer srv.Close()
			c := userClient(t, tc, userKey, srv.URL, srv.SOAPURL)
			key, err := c.Users().GenerateAPIKey(context.Background(), 42)
			require.NoError(t, err)
			current, _ := srv.Key(42)
			assert.Equal(t, current, key)
			for _, r := range srv.Requests() {
				assert.Contains(t, r.Path, "/mount/ecgrid/")
			}
		})
	}
}
