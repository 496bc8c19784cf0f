package ecgrid_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// The examples run against the in-process fake, with an admin (user 1) and
// a user (42) whose keys are known.
const (
	adminKey = "11111111-aaaa-bbbb-cccc-000000000001"
	userKey  = "42424242-aaaa-bbbb-cccc-000000000042"
)

// adminSession is a SOAP session of the admin, for tests that seed it.
const adminSession = "admin-session-0d9c8b7a"

func fakeECGrid() *ecgridtest.Server {
	return ecgridtest.NewServer(
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42, Level: ecgridtest.AuthLevelUser, APIKey: userKey}),
	)
}

// Generate a new key over REST. In production, leave out WithRESTURL.
func Example_restGenerate() {
	srv := fakeECGrid()
	defer srv.Close()

	c, err := ecgrid.New(ecgrid.WithAPIKey(userKey), ecgrid.WithRESTURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	// The old key stops working as soon as this succeeds.
	newKey, err := c.Users().GenerateAPIKey(context.Background(), 42)
	if err != nil {
		log.Fatal(err)
	}
	current, _ := srv.Key(42)
	fmt.Println("rotated:", newKey != userKey, "server agrees:", newKey == current)
	// Output: rotated: true server agrees: true
}

// Generate a new key over the ECGridOS SOAP API, here with SOAP 1.2.
func Example_soapGenerate() {
	srv := fakeECGrid()
	defer srv.Close()

	c, err := ecgrid.New(
		ecgrid.WithTransport(ecgrid.SOAP),
		ecgrid.WithSOAPVersion(ecgrid.SOAP12),
		ecgrid.WithAPIKey(userKey), // sent as SessionID
		ecgrid.WithSOAPURL(srv.SOAPURL),
	)
	if err != nil {
		log.Fatal(err)
	}
	newKey, err := c.Users().GenerateAPIKey(context.Background(), 42)
	if err != nil {
		log.Fatal(err)
	}
	current, _ := srv.Key(42)
	fmt.Println("rotated:", newKey != userKey, "server agrees:", newKey == current)
	// Output: rotated: true server agrees: true
}

// Moving from SOAP to REST changes one option: the calls and the errors
// stay the same.
func Example_switchTransport() {
	srv := fakeECGrid()
	defer srv.Close()

	for _, transport := range []ecgrid.Transport{ecgrid.SOAP, ecgrid.REST} {
		c, err := ecgrid.New(
			ecgrid.WithTransport(transport), // the only difference
			ecgrid.WithAPIKey(userKey),
			ecgrid.WithRESTURL(srv.URL),
			ecgrid.WithSOAPURL(srv.SOAPURL),
		)
		if err != nil {
			log.Fatal(err)
		}
		// User 42 may not read the admin's key, on either API.
		_, err = c.Users().GetAPIKey(context.Background(), 1)
		fmt.Printf("%s: forbidden=%t\n", transport, errors.Is(err, ecgrid.ErrForbidden))
	}
	// Output:
	// soap: forbidden=true
	// rest: forbidden=true
}

// When the answer to GenerateAPIKey is lost, the key may or may not have
// been rotated. The error says so, and GetAPIKey with a credential that still
// works (here an admin's) tells which key is current.
func Example_outcomeUnknown() {
	srv := fakeECGrid()
	defer srv.Close()
	// The server rotates the key, then the connection drops.
	srv.Inject(ecgridtest.Fault{Op: "GenerateAPIKey", Drop: ecgridtest.DropAfterApply})

	c, err := ecgrid.New(ecgrid.WithAPIKey(userKey), ecgrid.WithRESTURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Users().GenerateAPIKey(context.Background(), 42)
	switch {
	case errors.Is(err, ecgrid.ErrOutcomeUnknown):
		fmt.Println("outcome unknown: reading the current key")
		admin, err := ecgrid.New(ecgrid.WithAPIKey(adminKey), ecgrid.WithRESTURL(srv.URL))
		if err != nil {
			log.Fatal(err)
		}
		current, err := admin.Users().GetAPIKey(context.Background(), 42)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("the key was rotated:", current != userKey)
	case err != nil:
		fmt.Println("failed; the old key still works:", err)
	}
	// Output:
	// outcome unknown: reading the current key
	// the key was rotated: true
}

// RotateAPIKey stores the new key, switches the client to it and checks it,
// recovering by itself from a lost answer.
func ExampleClient_RotateAPIKey() {
	srv := fakeECGrid()
	defer srv.Close()

	c, err := ecgrid.New(ecgrid.WithAPIKey(userKey), ecgrid.WithRESTURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	var stored string
	r, err := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{
		Self: true,
		Persist: func(_ context.Context, key string) error {
			stored = key // write it to your secret store
			return nil
		},
		Verify: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Persisted, r.Switched, r.Verified, stored == r.Key)

	// The client now uses the new key.
	_, err = c.Sessions().WhoAmI(context.Background())
	fmt.Println("next call:", err)
	// Output:
	// true true true true
	// next call: <nil>
}

// A program that holds only a login and a password: the client logs in on
// the first call, renews the session as needed, and logs out on Close.
func ExampleWithLogin() {
	srv := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42, Login: "alice", Password: "s3cret"}))
	defer srv.Close()

	c, err := ecgrid.New(ecgrid.WithLogin("alice", "s3cret"),
		ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(srv.SOAPURL))
	if err != nil {
		log.Fatal(err)
	}
	me, err := c.Sessions().WhoAmI(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	key, err := c.Users().GenerateAPIKey(context.Background(), me.UserID)
	if err != nil {
		log.Fatal(err)
	}
	current, _ := srv.Key(42)
	fmt.Println("user", me.UserID, "rotated:", key == current)
	if err := c.Close(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logins", srv.Logins(), "logouts", srv.Logouts())
	// Output:
	// user 42 rotated: true
	// logins 1 logouts 1
}

// Move a SOAP integration to REST: the user's key is reused, stored, and
// checked on REST.
func ExampleClient_MigrateToREST() {
	srv := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42, Login: "alice", Password: "s3cret",
		Level: ecgridtest.AuthLevelNetworkAdmin}))
	defer srv.Close()

	c, err := ecgrid.New(ecgrid.WithLogin("alice", "s3cret"),
		ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPURL(srv.SOAPURL))
	if err != nil {
		log.Fatal(err)
	}
	var stored string
	m, err := c.MigrateToREST(context.Background(), ecgrid.MigrateOptions{
		Persist: func(_ context.Context, key string) error { stored = key; return nil }, // write it somewhere safe
		REST:    []ecgrid.Option{ecgrid.WithRESTURL(srv.URL)},                           // leave out in production
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("user", m.UserID, "reused:", m.Reused, "verified on REST:", m.Verified, "stored:", stored == m.Key)
	// Output: user 42 reused: true verified on REST: true stored: true
}

// Errors say what failed, on either transport, and whether the old key still
// works.
func ExampleError() {
	srv := fakeECGrid()
	defer srv.Close()
	srv.Inject(ecgridtest.Fault{Op: "GenerateAPIKey", Status: 500, Apply: true})

	c, err := ecgrid.New(ecgrid.WithAPIKey(userKey), ecgrid.WithRESTURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Users().GenerateAPIKey(context.Background(), 42)
	var e *ecgrid.Error
	if errors.As(err, &e) {
		fmt.Println(e.Transport == ecgrid.REST, e.StatusCode, e.Code, e.Outcome)
		fmt.Println(errors.Is(err, ecgrid.ErrServer), errors.Is(err, ecgrid.ErrOutcomeUnknown))
	}
	// Output:
	// true 500 InternalError unknown
	// true true
}
