package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Users is the contract both transports implement; ecgrid.Users documents it.
type Users interface {
	// GenerateAPIKey creates a new API key for the user and returns it. The
	// user's previous key stops working at once. On failure it returns an
	// *Error; errors.Is(err, ErrOutcomeUnknown) says the key may have been
	// rotated anyway, so read the current key with GetAPIKey.
	GenerateAPIKey(ctx context.Context, userID int) (string, error)
	// GetAPIKey returns the user's current API key without changing it, or
	// an *Error.
	GetAPIKey(ctx context.Context, userID int) (string, error)
}

// MaxUserID is the largest user ID: SOAP's UserID is an xs:int.
const MaxUserID = 1<<31 - 1

// Credentials are the secrets a client authenticates with. Formatting a
// Credentials value with any verb never shows a secret.
type Credentials struct {
	APIKey      string // REST X-API-Key; also accepted as SOAP SessionID
	SessionID   string // SOAP SessionID from Login()
	BearerToken string // REST Authorization: Bearer token
}

// String describes which credentials are set, never their values.
func (c Credentials) String() string {
	var set []string
	if c.APIKey != "" {
		set = append(set, "APIKey:[redacted]")
	}
	if c.SessionID != "" {
		set = append(set, "SessionID:[redacted]")
	}
	if c.BearerToken != "" {
		set = append(set, "BearerToken:[redacted]")
	}
	if len(set) == 0 {
		return "ecgrid.Credentials{}"
	}
	return "ecgrid.Credentials{" + strings.Join(set, " ") + "}"
}

// GoString is String: %#v never shows a secret either.
func (c Credentials) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// RESTHeader returns the header name and value the REST transport sends,
// preferring the API key over a bearer token.
func RESTHeader(c Credentials) (header, value string, ok bool) {
	switch {
	case c.APIKey != "":
		return "X-API-Key", c.APIKey, true
	case c.BearerToken != "":
		return "Authorization", "Bearer " + c.BearerToken, true
	}
	return "", "", false
}

// SOAPSession returns the SessionID the SOAP transport sends, preferring a
// session ID over an API key.
func SOAPSession(c Credentials) (string, bool) {
	switch {
	case c.SessionID != "":
		return c.SessionID, true
	case c.APIKey != "":
		return c.APIKey, true
	}
	return "", false
}

// Secrets returns the non-empty secrets of c, for redaction.
func Secrets(c Credentials) []string {
	var s []string
	for _, v := range []string{c.APIKey, c.SessionID, c.BearerToken} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

// ValidateCredentials checks that every set credential can be sent as it is:
// as an HTTP header value and as XML text. It never includes a value in its
// error.
func ValidateCredentials(c Credentials) error {
	for _, f := range []struct{ name, v string }{
		{"API key", c.APIKey}, {"session ID", c.SessionID}, {"bearer token", c.BearerToken},
	} {
		if f.v == "" {
			continue
		}
		if err := CheckSecret(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// CheckSecret rejects a secret that can't travel unchanged in a header or XML:
// invalid UTF-8, control characters, surrounding spaces, or over 4 KiB.
func CheckSecret(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("the %s is empty", name)
	case len(v) > 4096:
		return fmt.Errorf("the %s is longer than 4096 bytes", name)
	case !utf8.ValidString(v):
		return fmt.Errorf("the %s is not valid UTF-8", name)
	case strings.TrimSpace(v) != v:
		return fmt.Errorf("the %s has leading or trailing white space", name)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("the %s contains a control character", name)
		}
	}
	return nil
}

// CredentialsSource supplies credentials for each request.
type CredentialsSource interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// StaticCredentials is a concurrency-safe holder whose value can be swapped.
type StaticCredentials struct{ p atomic.Pointer[Credentials] }

// NewStaticCredentials returns a holder with c.
func NewStaticCredentials(c Credentials) *StaticCredentials {
	s := &StaticCredentials{}
	s.p.Store(&c)
	return s
}

// Credentials returns the current value.
func (s *StaticCredentials) Credentials(context.Context) (Credentials, error) {
	return *s.p.Load(), nil
}

// Set replaces the value.
func (s *StaticCredentials) Set(c Credentials) { s.p.Store(&c) }

// Format never shows the held secrets.
func (s *StaticCredentials) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(s.p.Load().String()))
}

// ErrNoCredentials is wrapped when a provider gave nothing the transport can use.
var ErrNoCredentials = errors.New("no credential this transport can use")

// Redact replaces every occurrence of each secret in s.
func Redact(s string, secrets ...string) string {
	for _, v := range secrets {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
