package ecgridtest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// sdkFake starts a fake with an admin (user 1) and a user (42).
func sdkFake() *ecgridtest.Server {
	return ecgridtest.NewServer(
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42}),
	)
}

// An SDK client on the fake's REST API: WithRESTURL points it at the fake.
func Example_restClient() {
	srv := sdkFake()
	defer srv.Close()
	key, _ := srv.Key(42)

	c, err := ecgrid.New(ecgrid.WithAPIKey(key), ecgrid.WithRESTURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}

	newKey, err := c.Users().GenerateAPIKey(context.Background(), 42)
	if err != nil {
		log.Fatal(err)
	}
	current, _ := srv.Key(42)
	fmt.Println("rotated:", newKey != key, "server agrees:", newKey == current)
	// Output: rotated: true server agrees: true
}

// An SDK client on the fake's SOAP 1.1 API: WithTransport(SOAP) and
// WithSOAPURL point it at the fake. The key is sent as SessionID.
func Example_soapClient() {
	srv := sdkFake()
	defer srv.Close()
	key, _ := srv.Key(42)

	c, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithAPIKey(key), ecgrid.WithSOAPURL(srv.SOAPURL))
	if err != nil {
		log.Fatal(err)
	}

	newKey, err := c.Users().GenerateAPIKey(context.Background(), 42)
	if err != nil {
		log.Fatal(err)
	}
	current, _ := srv.Key(42)
	fmt.Println("rotated:", newKey != key, "server agrees:", newKey == current)
	// Output: rotated: true server agrees: true
}

// An SDK client on the fake's SOAP 1.2 API adds WithSOAPVersion(SOAP12). Here
// an admin reads a user's key; reading a key needs NetworkAdmin or higher, so
// the user itself may not (unless the fake has WithSelfKeyRead).
func Example_soap12Client() {
	srv := sdkFake()
	defer srv.Close()
	adminKey, _ := srv.Key(1)
	userKey, _ := srv.Key(42)

	admin, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAP12),
		ecgrid.WithAPIKey(adminKey), ecgrid.WithSOAPURL(srv.SOAPURL))
	if err != nil {
		log.Fatal(err)
	}
	got, err := admin.Users().GetAPIKey(context.Background(), 42)
	fmt.Println("admin reads it:", err == nil && got == userKey)

	user, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAP12),
		ecgrid.WithAPIKey(userKey), ecgrid.WithSOAPURL(srv.SOAPURL))
	if err != nil {
		log.Fatal(err)
	}
	_, err = user.Users().GetAPIKey(context.Background(), 42)
	fmt.Println("user reads it:", err == nil)
	fmt.Println("requests:", len(srv.Requests()), "all SOAP 1.2:", srv.Requests()[0].SOAPVersion == "1.2" && srv.Requests()[1].SOAPVersion == "1.2")
	// Output:
	// admin reads it: true
	// user reads it: false
	// requests: 2 all SOAP 1.2: true
}
