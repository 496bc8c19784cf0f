package ecgridtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// Example rotates a user's key over the REST API with plain net/http and shows that
// the old key stops working. Reading a key needs NetworkAdmin or higher, so an
// admin checks the new one.
func Example() {
	s := ecgridtest.NewServer(
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42}),
	)
	defer s.Close()
	adminKey, _ := s.Key(1)
	oldKey, _ := s.Key(42)

	call := func(method, path, key string) (int, map[string]any) {
		req, _ := http.NewRequest(method, s.URL+path, nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var env map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&env)
		return resp.StatusCode, env
	}

	status, env := call(http.MethodPost, "/v2/users/key-generate/42", oldKey)
	newKey, _ := env["data"].(string)
	fmt.Println("rotate:", status, env["success"], "key length", len(newKey))

	status, env = call(http.MethodGet, "/v2/users/key/42", oldKey)
	fmt.Println("old key:", status, env["success"], env["errorCode"])

	status, env = call(http.MethodGet, "/v2/users/key/42", newKey)
	fmt.Println("own key read:", status, env["success"], env["errorCode"])

	status, env = call(http.MethodGet, "/v2/users/key/42", adminKey)
	fmt.Println("admin reads it:", status, env["success"], env["data"] == newKey)
	fmt.Println("rotations:", s.Rotations(42))

	// Output:
	// rotate: 200 true key length 36
	// old key: 401 false InvalidAPIKey
	// own key read: 403 false AccessDenied
	// admin reads it: 200 true true
	// rotations: 1
}

// ExampleServer_Inject makes the next REST call fail with 429 and a Retry-After header.
func ExampleServer_Inject() {
	s := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 7}))
	defer s.Close()
	key, _ := s.Key(7)
	s.Inject(ecgridtest.Fault{Transport: "rest", Status: http.StatusTooManyRequests, RetryAfter: "2"})

	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/users/key-generate/7", nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var env struct {
			Success   bool   `json:"success"`
			Data      string `json:"data"`
			ErrorCode string `json:"errorCode"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		fmt.Printf("status=%d retry-after=%q success=%v errorCode=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"), env.Success, env.ErrorCode)
		if env.Success {
			key = env.Data
		}
	}
	fmt.Println("rotations:", s.Rotations(7))

	// Output:
	// status=429 retry-after="2" success=false errorCode="RateLimitExceeded"
	// status=200 retry-after="" success=true errorCode=""
	// rotations: 1
}
