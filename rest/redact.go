package rest

import (
	"encoding/xml"
	"fmt"
	"log/slog"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

func (a Auth) show() wire.Show {
	return wire.Show{Type: "rest.Auth", Fields: []wire.Field{
		wire.Secret("APIKey", a.APIKey), wire.Secret("BearerToken", a.BearerToken)}}
}

// String shows which credential is set, never its value.
func (a Auth) String() string { return a.show().String() }

// Format prints String for every verb.
func (a Auth) Format(f fmt.State, _ rune) { a.show().Write(f) }

// MarshalJSON encodes the Auth with its secrets replaced by "[redacted]".
func (a Auth) MarshalJSON() ([]byte, error) { return a.show().JSON() }

// MarshalXML encodes the Auth with its secrets replaced by "[redacted]".
func (a Auth) MarshalXML(e *xml.Encoder, start xml.StartElement) error { return a.show().XML(e, start) }

// LogValue logs the Auth with its secrets replaced by "[redacted]".
func (a Auth) LogValue() slog.Value { return a.show().LogValue() }

func (t Token) show() wire.Show {
	return wire.Show{Type: "rest.Token", Fields: []wire.Field{
		wire.Secret("Token", t.Token), {Name: "ExpiresAt", Value: t.ExpiresAt}, {Name: "UserID", Value: t.UserID}}}
}

// String shows the token's expiry and user, never the token.
func (t Token) String() string { return t.show().String() }

// Format prints String for every verb.
func (t Token) Format(f fmt.State, _ rune) { t.show().Write(f) }

// MarshalJSON encodes the Token with the token replaced by "[redacted]".
func (t Token) MarshalJSON() ([]byte, error) { return t.show().JSON() }

// MarshalXML encodes the Token with the token replaced by "[redacted]".
func (t Token) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return t.show().XML(e, start)
}

// LogValue logs the Token with the token replaced by "[redacted]".
func (t Token) LogValue() slog.Value { return t.show().LogValue() }
