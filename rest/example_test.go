package rest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/ecgridkit/ecgrid/rest"
)

// ExampleClient_GenerateAPIKey makes single calls and reads the facts of a
// failure: the transport never retries, and reports what the service
// answered.
func ExampleClient_GenerateAPIKey() {
	// A stand-in for rest.ecgrid.io that knows one admin key.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Header.Get("X-API-Key") != "admin-key-0001" {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"success":false,"errorCode":"InvalidAPIKey","message":"The API key is not valid.","data":null}`)
			return
		}
		io.WriteString(w, `{"success":true,"data":"f9e8d7c6-b5a4-3210-fedc-ba9876543210","errorCode":"","message":""}`)
	}))
	defer srv.Close()

	c, err := rest.New(rest.Config{BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	key, err := c.GenerateAPIKey(ctx, rest.Auth{APIKey: "admin-key-0001"}, 42)
	fmt.Println("new key:", key, err)

	// A refused call: the *Error holds what the service said.
	_, err = c.GenerateAPIKey(ctx, rest.Auth{APIKey: "revoked-key-0002"}, 42)
	var e *rest.Error
	if errors.As(err, &e) {
		fmt.Println("status:", e.StatusCode, "envelope:", e.Envelope, "code:", e.ErrorCode, "message:", e.Message)
		fmt.Println("not sent:", e.NotSent, "retry after:", e.RetryAfter)
	}
	fmt.Println(err)

	// Input that can't be sent is refused before anything leaves.
	_, err = c.GenerateAPIKey(ctx, rest.Auth{APIKey: "admin-key-0001"}, 0)
	if errors.As(err, &e) {
		fmt.Println("invalid input:", errors.Is(err, rest.ErrInvalidInput), "not sent:", e.NotSent)
	}
	// Output:
	// new key: f9e8d7c6-b5a4-3210-fedc-ba9876543210 <nil>
	// status: 401 envelope: true code: InvalidAPIKey message: The API key is not valid.
	// not sent: false retry after: 0s
	// rest: GenerateAPIKey: HTTP 401 InvalidAPIKey "The API key is not valid."
	// invalid input: true not sent: true
}
