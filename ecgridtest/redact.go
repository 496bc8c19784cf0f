// This file keeps secrets out of every encoding of the package's types: the
// masking of the request log and the encoders of User.

package ecgridtest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// redacted stands for a password (or any secret of which nothing may be shown).
const redacted = "[redacted]"

// mask hides a secret: "" stays "", values of 12 or more characters keep their
// first 4 characters followed by "…", shorter ones become "****".
func mask(v string) string {
	if v == "" {
		return ""
	}
	if utf8.RuneCountInString(v) < 12 {
		return "****"
	}
	n := 0
	for i := range v {
		if n == 4 {
			return v[:i] + "…"
		}
		n++
	}
	return "****"
}

// maskAuthorization keeps the scheme of an Authorization value and masks the rest.
func maskAuthorization(v string) string {
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok {
		return mask(v)
	}
	return scheme + " " + mask(strings.TrimSpace(rest))
}

// redact hides a secret entirely: "" stays "", anything else is "[redacted]".
func redact(v string) string {
	if v == "" {
		return ""
	}
	return redacted
}

// safeUser is a User with its secrets masked, for the encoders.
type safeUser struct {
	ID        int
	Level     string
	APIKey    string
	Login     string
	Password  string
	Email     string
	FirstName string
	LastName  string
	NetworkID int
	MailboxID int
}

func (u User) safe() safeUser {
	return safeUser{
		ID: u.ID, Level: u.Level.String(), APIKey: mask(u.APIKey),
		Login: u.Login, Password: redact(u.Password), Email: u.Email,
		FirstName: u.FirstName, LastName: u.LastName,
		NetworkID: u.NetworkID, MailboxID: u.MailboxID,
	}
}

// String describes the user with its key masked and its password redacted.
func (u User) String() string {
	v := u.safe()
	return fmt.Sprintf("User{ID: %d, Level: %s, Login: %q, Email: %q, FirstName: %q, LastName: %q, NetworkID: %d, MailboxID: %d, APIKey: %s, Password: %s}",
		v.ID, v.Level, v.Login, v.Email, v.FirstName, v.LastName, v.NetworkID, v.MailboxID, v.APIKey, v.Password)
}

// GoString is like String, so that %#v does not reveal the secrets either.
func (u User) GoString() string { return "ecgridtest." + u.String() }

// Format writes String (GoString for %#v, String quoted for %q) for every verb,
// so that no verb reveals the secrets.
func (u User) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, u.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", u.String())
	default:
		_, _ = io.WriteString(f, u.String())
	}
}

// MarshalJSON encodes the user's fields, with the key masked, the password
// redacted and Level as its name. It never fails.
func (u User) MarshalJSON() ([]byte, error) { return json.Marshal(u.safe()) }

// MarshalXML encodes the user's fields as child elements of start, with the key
// masked, the password redacted and Level as its name. It fails only if the
// encoder does.
func (u User) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(u.safe(), start)
}

// LogValue is the user as a log/slog group, with the key masked and the password
// redacted.
func (u User) LogValue() slog.Value {
	v := u.safe()
	return slog.GroupValue(
		slog.Int("ID", v.ID), slog.String("Level", v.Level), slog.String("Login", v.Login),
		slog.String("Email", v.Email), slog.String("FirstName", v.FirstName), slog.String("LastName", v.LastName),
		slog.Int("NetworkID", v.NetworkID), slog.Int("MailboxID", v.MailboxID),
		slog.String("APIKey", v.APIKey), slog.String("Password", v.Password),
	)
}

var (
	_ fmt.Formatter  = User{}
	_ fmt.GoStringer = User{}
	_ json.Marshaler = User{}
	_ xml.Marshaler  = User{}
	_ slog.LogValuer = User{}
	_ fmt.Stringer   = AuthLevel(0)
)
