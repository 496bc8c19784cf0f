package interop_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/ecgridkit/ecgrid"
)

// Users seeded into server.js: an admin and a plain user.
const (
	adminID  = 1
	adminKey = "11111111-aaaa-4aaa-8aaa-000000000001"
	userID   = 42
	userKey  = "42424242-bbbb-4bbb-8bbb-000000000042"
	// oddID's key has every XML special character, a colon, "]]>" and
	// non-ASCII text: escaping and unescaping must round-trip it.
	oddID  = 7
	oddKey = `k&<>"':]]>é€-7`
)

// Endpoint paths of server.js, one per SOAP version.
var serverPaths = map[ecgrid.SOAPVersion]string{
	ecgrid.SOAP11: "/v4.1/prod/ECGridOS.asmx",
	ecgrid.SOAP12: "/soap12/v4.1/prod/ECGridOS.asmx",
}

// sdk is an SDK client of a node-soap endpoint with one credential, no
// retries, and a recorder of its last exchange.
type sdk struct {
	ecgrid.Users
	rec *recorder
}

func newSDK(t *testing.T, url string, v ecgrid.SOAPVersion, key string) sdk {
	t.Helper()
	rec := &recorder{}
	c, err := ecgrid.New(
		ecgrid.WithTransport(ecgrid.SOAP),
		ecgrid.WithSOAPURL(url),
		ecgrid.WithSOAPVersion(v),
		ecgrid.WithAPIKey(key),
		ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1}),
		ecgrid.WithHTTPClient(&http.Client{Transport: rec}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return sdk{c.Users(), rec}
}

// TestSDKAgainstNodeSOAPServer drives the SDK's SOAP transport against
// server.js, a node-soap service built from soap.WSDL(), in SOAP 1.1 and 1.2.
func TestSDKAgainstNodeSOAPServer(t *testing.T) {
	for _, v := range []ecgrid.SOAPVersion{ecgrid.SOAP11, ecgrid.SOAP12} {
		t.Run("SOAP"+string(v), func(t *testing.T) {
			t.Parallel()
			base := startServer(t, "1:admin:"+adminKey, "42:user:"+userKey, "7:user:"+oddKey)
			url := base + serverPaths[v]
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			admin := newSDK(t, url, v, adminKey)
			wantKey := func(c sdk, id int, want string) {
				t.Helper()
				got, err := c.GetAPIKey(ctx, id)
				if err != nil {
					t.Fatalf("GetAPIKey(%d): %v\n%s", id, err, c.rec)
				}
				if got != want {
					t.Fatalf("GetAPIKey(%d) = %q, want %q\n%s", id, got, want, c.rec)
				}
			}
			client := "Client"
			if v == ecgrid.SOAP12 {
				client = "Sender"
			}
			// wantError checks err against the *ecgrid.Error it should be.
			wantError := func(c sdk, err error, want ecgrid.Error) {
				t.Helper()
				var e *ecgrid.Error
				if !errors.As(err, &e) || !errors.Is(err, want.Kind) {
					t.Fatalf("err = %v, want %v\n%s", err, want.Kind, c.rec)
				}
				if e.Code != want.Code || e.FaultCode != want.FaultCode || e.StatusCode != want.StatusCode ||
					e.Transport != "soap" || e.Outcome != want.Outcome ||
					errors.Is(err, ecgrid.ErrOutcomeUnknown) != (want.Outcome == ecgrid.OutcomeUnknown) {
					t.Fatalf("err = %#v,\nwant Code %q, FaultCode %q, StatusCode %d, Outcome %v\n%s",
						e, want.Code, want.FaultCode, want.StatusCode, want.Outcome, c.rec)
				}
			}
			// wantFault checks for an ECGridOS Client fault with HTTP 500.
			wantFault := func(c sdk, err error, kind error, code string) {
				t.Helper()
				wantError(c, err, ecgrid.Error{Kind: kind, Code: code, FaultCode: client,
					StatusCode: http.StatusInternalServerError, Outcome: ecgrid.OutcomeNotApplied})
			}

			// Read, then rotate another user's key as an admin.
			wantKey(admin, userID, userKey)
			newKey, err := admin.GenerateAPIKey(ctx, userID)
			if err != nil {
				t.Fatalf("GenerateAPIKey: %v\n%s", err, admin.rec)
			}
			if newKey == "" || newKey == userKey {
				t.Fatalf("GenerateAPIKey = %q, want a new key", newKey)
			}
			wantKey(admin, userID, newKey)

			// The old key is refused: Authentication fault.
			old := newSDK(t, url, v, userKey)
			_, err = old.GetAPIKey(ctx, userID)
			wantFault(old, err, ecgrid.ErrUnauthorized, "Authentication")
			_, err = old.GenerateAPIKey(ctx, userID)
			wantFault(old, err, ecgrid.ErrUnauthorized, "Authentication")

			// The new key works for the user itself, and rotates it again.
			user := newSDK(t, url, v, newKey)
			wantKey(user, userID, newKey)
			third, err := user.GenerateAPIKey(ctx, userID)
			if err != nil || third == newKey {
				t.Fatalf("GenerateAPIKey by the user = %q, %v\n%s", third, err, user.rec)
			}
			wantKey(admin, userID, third)
			_, err = user.GetAPIKey(ctx, userID)
			wantFault(user, err, ecgrid.ErrUnauthorized, "Authentication")

			// A plain user acting on another user: Authorization fault.
			user = newSDK(t, url, v, third)
			_, err = user.GetAPIKey(ctx, adminID)
			wantFault(user, err, ecgrid.ErrForbidden, "Authorization")
			_, err = user.GenerateAPIKey(ctx, adminID)
			wantFault(user, err, ecgrid.ErrForbidden, "Authorization")
			wantKey(admin, adminID, adminKey) // not rotated

			// A key with XML special characters, sent and received.
			wantKey(newSDK(t, url, v, oddKey), oddID, oddKey)
			wantKey(admin, oddID, oddKey)

			// No such user: ObjectNotFound fault.
			_, err = admin.GetAPIKey(ctx, 999)
			wantFault(admin, err, ecgrid.ErrNotFound, "ObjectNotFound")
			_, err = admin.GenerateAPIKey(ctx, 2147483647)
			wantFault(admin, err, ecgrid.ErrNotFound, "ObjectNotFound")

			// node-soap's own fault for a failing handler: SOAP 1.2-shaped
			// (Code/Value "SOAP-ENV:Server", an undeclared prefix) in either
			// envelope, no detail, HTTP 500. The rotation may have happened.
			_, err = admin.GenerateAPIKey(ctx, 500)
			wantError(admin, err, ecgrid.Error{Kind: ecgrid.ErrServer, FaultCode: "Server",
				StatusCode: http.StatusInternalServerError, Outcome: ecgrid.OutcomeUnknown})

			// A fault carried by HTTP 200, node-soap's default status.
			_, err = admin.GenerateAPIKey(ctx, 200)
			wantError(admin, err, ecgrid.Error{Kind: ecgrid.ErrNotFound, Code: "ObjectNotFound", FaultCode: client,
				StatusCode: http.StatusOK, Outcome: ecgrid.OutcomeNotApplied})
		})
	}
}
