package ecgrid

import "github.com/ecgridkit/ecgrid/internal/core"

// Users reads and generates ECGrid API keys. Both transports implement it
// with the same behaviour and the same errors; get one from Client.Users.
//
// GenerateAPIKey(ctx, userID) creates a new API key for the user and returns
// it. The user's previous key stops working at once, on both APIs. It is not
// idempotent: when it fails, errors.Is(err, ErrOutcomeUnknown) tells whether
// the key may have been rotated anyway; if so, read the current key with
// GetAPIKey using a credential that still works. Otherwise the old key is
// still valid. REST: POST /v2/users/key-generate/{id}; SOAP: GenerateAPIKey.
//
// GetAPIKey(ctx, userID) returns the user's current API key without changing
// it. A user may read its own key; reading another user's key needs
// NetworkAdmin or higher. REST: GET /v2/users/key/{id}; SOAP: UserGetAPIKey.
//
// Both return an *Error on failure. userID must be in 1..2147483647 (SOAP's
// xs:int); anything else fails with ErrInvalidInput before any request.
type Users = core.Users

// MaxUserID is the largest user ID either transport accepts: SOAP's UserID
// is a 32-bit xs:int, and REST applies the same limit so an integration
// behaves the same after moving.
const MaxUserID = core.MaxUserID

// Credentials are the secrets a Client authenticates with. Formatting a
// Credentials value, with any verb, shows which fields are set and never
// their values.
//
// REST sends APIKey as X-API-Key, or else BearerToken as Authorization:
// Bearer. SOAP sends SessionID as SessionID, or else APIKey.
type Credentials = core.Credentials
