package ecgrid

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// Users reads and generates ECGrid API keys. Both transports implement it
// with the same behaviour and the same errors; get one from Client.Users.
// userID must be in 1..MaxUserID; anything else fails with ErrInvalidInput
// before any request.
type Users interface {
	// GenerateAPIKey creates a new API key for the user and returns it. The
	// user's previous key stops working at once, on both APIs. It is not
	// idempotent: on failure it returns an *Error, and
	// errors.Is(err, ErrOutcomeUnknown) says the key may have been rotated
	// anyway (read the current key with GetAPIKey using a credential that
	// still works, or let Client.RotateAPIKey do it); otherwise the old key
	// is certainly still valid.
	//
	// REST: POST /v2/users/key-generate/{id}; SOAP: GenerateAPIKey.
	GenerateAPIKey(ctx context.Context, userID int) (string, error)

	// GetAPIKey returns the user's current API key without changing it. The
	// vendor's reference says reading a key needs NetworkAdmin or higher,
	// even one's own. On failure it returns an *Error, never matching
	// ErrOutcomeUnknown.
	//
	// REST: GET /v2/users/key/{id}; SOAP: UserGetAPIKey.
	GetAPIKey(ctx context.Context, userID int) (string, error)
}

// MaxUserID is the largest user ID either transport accepts: SOAP's UserID
// is a 32-bit xs:int, and REST applies the same limit so an integration
// behaves the same after moving.
const MaxUserID = 1<<31 - 1

// Credentials are the secrets a Client authenticates with. Every encoding of
// a Credentials value (fmt with any verb, encoding/json, encoding/xml,
// log/slog) shows which fields are set, never their values.
//
// REST sends APIKey as X-API-Key, or else BearerToken as Authorization:
// Bearer. SOAP sends SessionID as SessionID, or else APIKey.
type Credentials struct {
	// APIKey is an ECGrid API key: X-API-Key on REST, SessionID on SOAP.
	APIKey string
	// SessionID is an ECGridOS session ID from Login: SOAP only.
	SessionID string
	// BearerToken is a REST token from POST /v2/auth/login: REST only.
	BearerToken string
}

func (c Credentials) show() wire.Show {
	return wire.Show{Type: "ecgrid.Credentials", Fields: []wire.Field{
		wire.Secret("APIKey", c.APIKey), wire.Secret("SessionID", c.SessionID), wire.Secret("BearerToken", c.BearerToken)}}
}

// String shows which credentials are set, never their values.
func (c Credentials) String() string { return c.show().String() }

// Format prints String for every verb.
func (c Credentials) Format(f fmt.State, _ rune) { c.show().Write(f) }

// MarshalJSON encodes the Credentials with every set secret replaced by
// "[redacted]".
func (c Credentials) MarshalJSON() ([]byte, error) { return c.show().JSON() }

// MarshalXML encodes the Credentials with every set secret replaced by
// "[redacted]".
func (c Credentials) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return c.show().XML(e, start)
}

// LogValue logs the Credentials with every set secret replaced by
// "[redacted]".
func (c Credentials) LogValue() slog.Value { return c.show().LogValue() }

// restOK reports whether there is a credential REST can send: an API key
// or a bearer token.
func (c Credentials) restOK() bool { return c.APIKey != "" || c.BearerToken != "" }

// soapSession returns the SessionID SOAP sends, preferring a session ID
// over an API key.
func (c Credentials) soapSession() string {
	if c.SessionID != "" {
		return c.SessionID
	}
	return c.APIKey
}

// check validates every set credential, never showing a value.
func (c Credentials) check() error {
	for _, f := range []struct{ name, v string }{
		{"API key", c.APIKey}, {"session ID", c.SessionID}, {"bearer token", c.BearerToken},
	} {
		if f.v != "" {
			if err := wire.CheckSecret(f.name, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}
