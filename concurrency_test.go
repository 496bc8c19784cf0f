package ecgrid_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// TestConcurrentUse shares one client between 100 goroutines making mixed
// calls while its credentials are swapped half-way, under -race.
func TestConcurrentUse(t *testing.T) {
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			srv := ecgridtest.NewServer(
				ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}),
				ecgridtest.WithUser(ecgridtest.User{ID: 2, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: "22222222-aaaa-bbbb-cccc-000000000002"}),
			)
			defer srv.Close()
			const users = 20
			for id := 100; id < 100+users; id++ {
				srv.AddUser(ecgridtest.User{ID: id})
			}
			c := userClient(t, tc, adminKey, srv.URL, srv.SOAPURL)

			var wg sync.WaitGroup
			errs := make(chan error, 200)
			start := make(chan struct{})
			for g := 0; g < 100; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					<-start
					id := 100 + g%users
					for i := 0; i < 3; i++ {
						var err error
						if (g+i)%2 == 0 {
							_, err = c.Users().GenerateAPIKey(context.Background(), id)
						} else {
							_, err = c.Users().GetAPIKey(context.Background(), id)
						}
						if err != nil {
							errs <- fmt.Errorf("goroutine %d call %d: %w", g, i, err)
							return
						}
					}
				}(g)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// Both admins stay valid: every call must succeed with either.
				errs <- c.SetCredentials(ecgrid.Credentials{APIKey: "22222222-aaaa-bbbb-cccc-000000000002"})
			}()
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}
			for id := 100; id < 100+users; id++ {
				key, ok := srv.Key(id)
				require.True(t, ok)
				got, err := c.Users().GetAPIKey(context.Background(), id)
				require.NoError(t, err)
				assert.Equal(t, key, got)
			}
			var sawNew bool
			for _, r := range srv.Requests() {
				sawNew = sawNew || r.Credential == "2222…"
			}
			assert.True(t, sawNew, "the swapped credential was used")
		})
	}
}
