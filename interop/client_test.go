package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
	"github.com/ecgridkit/ecgrid/soap"
)

// clientOutput is what client.js prints.
type clientOutput struct {
	Generated   string `json:"generated"`
	Got         string `json:"got"`
	OldKeyFault *struct {
		Status  int             `json:"status"`
		Fault   json.RawMessage `json:"fault"`
		Message string          `json:"message"`
	} `json:"oldKeyFault"`
	Requests []struct {
		Op          string `json:"op"`
		ContentType string `json:"contentType"`
		SOAPAction  string `json:"soapAction"`
	} `json:"requests"`
}

// TestNodeSOAPClientAgainstFake runs client.js, a node-soap client built from
// the WSDL ecgridtest serves at <SOAPURL>?WSDL (soap.WSDL()), against the fake,
// through its SOAP 1.1 and its SOAP 1.2 port, and checks with the SDK that
// the key it got back works.
func TestNodeSOAPClientAgainstFake(t *testing.T) {
	for _, v := range []ecgrid.SOAPVersion{ecgrid.SOAP11, ecgrid.SOAP12} {
		t.Run("SOAP"+string(v), func(t *testing.T) {
			t.Parallel()
			requireNode(t)
			s := ecgridtest.NewServer(
				ecgridtest.WithUser(ecgridtest.User{ID: adminID, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}),
				ecgridtest.WithUser(ecgridtest.User{ID: userID, APIKey: userKey}),
				ecgridtest.WithWSDL(soap.WSDL()),
				// client.js reads the user's own key back: allow it, as
				// the vendor's rule (NetworkAdmin only) is not under test.
				ecgridtest.WithSelfKeyRead(),
			)
			t.Cleanup(s.Close)

			// The user rotates its own key with node-soap.
			stdout := runClient(t, s.SOAPURL, strconv.Itoa(userID), userKey, string(v))
			var out clientOutput
			if err := json.Unmarshal(stdout, &out); err != nil {
				t.Fatalf("client.js output %q: %v", stdout, err)
			}
			t.Logf("client.js: %s", strings.ReplaceAll(string(stdout), out.Generated, "<new key>"))

			cur, ok := s.Key(userID)
			if !ok || out.Generated == "" || out.Generated == userKey || out.Generated != cur || out.Got != cur {
				t.Fatalf("node-soap got generated %q, read %q; the fake's key is %q", out.Generated, out.Got, cur)
			}
			if n := s.Rotations(userID); n != 1 {
				t.Fatalf("Rotations = %d, want 1", n)
			}
			for _, r := range s.Requests() {
				if r.Transport == "soap" && r.Op != "" && r.SOAPVersion != string(v) {
					t.Errorf("the fake saw a SOAP %s request %s, want %s", r.SOAPVersion, r.Op, v)
				}
			}

			// node-soap read the fake's fault for the old key.
			if f := out.OldKeyFault; f == nil || f.Status != 500 || !strings.Contains(string(f.Fault), "Authentication") {
				t.Errorf("old key: node-soap saw %+v, want an Authentication fault with HTTP 500", f)
			}

			// The key node-soap got works with the SDK; the old one doesn't.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := newSDK(t, s.SOAPURL, v, out.Generated)
			got, err := c.GetAPIKey(ctx, userID)
			if err != nil || got != out.Generated {
				t.Fatalf("SDK GetAPIKey with the new key = %q, %v\n%s", got, err, c.rec)
			}
			old := newSDK(t, s.SOAPURL, v, userKey)
			if _, err := old.GetAPIKey(ctx, userID); !errors.Is(err, ecgrid.ErrUnauthorized) {
				t.Fatalf("SDK GetAPIKey with the old key: %v, want ErrUnauthorized\n%s", err, old.rec)
			}
		})
	}
}
