package ecgrid

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecgridkit/ecgrid/internal/wire"
	"github.com/ecgridkit/ecgrid/rest"
	"github.com/ecgridkit/ecgrid/soap"
)

// Sessions logs in to and out of ECGrid and says who a credential belongs
// to, over the client's transport, with the same retries and errors as
// Users. Get one from Client.Sessions.
//
// A program that holds only a login and a password does not need it:
// WithLogin makes the client log in, renew and log out by itself.
type Sessions interface {
	// Login exchanges a login name and password for a session: a SOAP
	// SessionID (Login) or a REST bearer token (POST /v2/auth/login). It is
	// retried like GetAPIKey; a wrong login or password is ErrUnauthorized
	// and is never retried. The password goes only to the service: never
	// into a log record or an error. On failure it returns an *Error.
	Login(ctx context.Context, login, password string) (Session, error)
	// Refresh exchanges a REST token for a new one before it expires (POST
	// /v2/auth/refresh); the old one may stop working. A SOAP session can't
	// be refreshed (ErrInvalidInput): it lasts while it is used. On failure
	// it returns an *Error.
	Refresh(ctx context.Context, s Session) (Session, error)
	// Logout ends the session s (SOAP Logout, REST POST /v2/auth/logout).
	// On failure it returns an *Error.
	Logout(ctx context.Context, s Session) error
	// WhoAmI returns who the client's credential belongs to (SOAP WhoAmI,
	// REST GET /v2/users/me). On failure it returns an *Error.
	WhoAmI(ctx context.Context) (Identity, error)
}

// Session is a logged-in session: a SOAP SessionID or a REST bearer token.
// Every encoding of a Session (fmt, encoding/json, encoding/xml, log/slog)
// shows its transport, expiry and user, never the token.
type Session struct {
	// Token is the SOAP SessionID or the REST JWT.
	Token string
	// Transport is the API the session belongs to.
	Transport Transport
	// ExpiresAt is when a REST token expires; zero for a SOAP session, which
	// expires after a time without use.
	ExpiresAt time.Time
	// UserID is the user the session authenticates; 0 when the service did
	// not say (SOAP Login answers only the session ID: use WhoAmI).
	UserID int
}

// Credentials returns the credentials that authenticate with the session:
// BearerToken for REST, SessionID for SOAP.
func (s Session) Credentials() Credentials {
	if s.Transport == REST {
		return Credentials{BearerToken: s.Token}
	}
	return Credentials{SessionID: s.Token}
}

func (s Session) show() wire.Show {
	return wire.Show{Type: "ecgrid.Session", Fields: []wire.Field{
		wire.Secret("Token", s.Token), {Name: "Transport", Value: string(s.Transport)},
		{Name: "ExpiresAt", Value: s.ExpiresAt}, {Name: "UserID", Value: s.UserID}}}
}

// String shows the session's transport, expiry and user, never the token.
func (s Session) String() string { return s.show().String() }

// Format prints String for every verb.
func (s Session) Format(f fmt.State, _ rune) { s.show().Write(f) }

// MarshalJSON encodes the Session with the token replaced by "[redacted]".
func (s Session) MarshalJSON() ([]byte, error) { return s.show().JSON() }

// MarshalXML encodes the Session with the token replaced by "[redacted]".
func (s Session) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return s.show().XML(e, start)
}

// LogValue logs the Session with the token replaced by "[redacted]".
func (s Session) LogValue() slog.Value { return s.show().LogValue() }

// Identity is who a credential belongs to. Strings are as the service sent
// them, with characters that are not printable escaped.
type Identity struct {
	UserID    int
	Login     string
	NetworkID int
	MailboxID int
	// AuthLevel is the user's level, such as "NetworkAdmin" or
	// "MailboxUser"; reading other users' keys needs NetworkAdmin or higher.
	AuthLevel string
	// REST only: empty over SOAP.
	Email, FirstName, LastName, Status string
	Created                            time.Time
}

func identityFromREST(u rest.User) Identity {
	return Identity{UserID: u.UserID, Login: u.Login, NetworkID: u.NetworkID, MailboxID: u.MailboxID,
		AuthLevel: u.AuthLevel, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Status: u.Status, Created: u.Created}
}

func identityFromSOAP(i soap.UserIDInfo) Identity {
	return Identity{UserID: i.UserID, Login: i.Login, NetworkID: i.NetworkID, MailboxID: i.MailboxID, AuthLevel: i.AuthLevel}
}

func sessionFromREST(t rest.Token) Session {
	return Session{Token: t.Token, Transport: REST, ExpiresAt: t.ExpiresAt, UserID: t.UserID}
}

// Sender identifies the calling software in SOAP Login, as ECGridOS asks.
// The default is Solution "ecgrid-go" and Version this library's version.
type Sender struct {
	Solution     string // SenderSolution
	Version      string // SenderVersion
	CompanyName  string // SenderCompanyName
	Contact      string // SenderContact
	ContactEmail string // SenderContactEmail
}

// WithSender sets the sender fields of SOAP Login.
func WithSender(s Sender) Option {
	return func(st *settings) error {
		for _, f := range []struct{ name, v string }{{"Solution", s.Solution}, {"Version", s.Version},
			{"CompanyName", s.CompanyName}, {"Contact", s.Contact}, {"ContactEmail", s.ContactEmail}} {
			if err := wire.CheckText(f.name, f.v, true); err != nil {
				return fmt.Errorf("WithSender: %w", err)
			}
		}
		st.sender = s
		return nil
	}
}

// WithLogin makes the client authenticate with a login name and password:
// it logs in on the first call that needs a credential (never in New) and
// keeps the session (a SOAP SessionID, or a REST bearer token). On REST it
// refreshes the token before it expires (a minute before, or a quarter of
// its lifetime if that is shorter) and logs in again if the refresh fails.
// When the service refuses the session (401, an Authentication fault: it
// expired), it logs in again once and repeats the call, which is safe even
// for GenerateAPIKey because the refusal was definite. Concurrent calls that
// need a login wait for one. Client.Close logs out.
//
// The password stays in the client, unexported: it is never logged, never
// put in an error, never shown by any encoding. It can't be combined with
// another credential option or with WithSOAPFallback.
func WithLogin(login, password string) Option {
	return func(s *settings) error {
		if err := checkLogin(login, password); err != nil {
			return fmt.Errorf("WithLogin: %w", err)
		}
		s.login, s.password = login, password
		return nil
	}
}

// checkLogin refuses a login name or password that can't be sent, saying
// why without showing the password.
func checkLogin(login, password string) error {
	if err := wire.CheckText("login", login, false); err != nil {
		return err
	}
	return wire.CheckSecret("password", password)
}

// Sessions returns the client's Sessions: Login, Refresh, Logout and WhoAmI
// over the client's primary transport.
func (c *Client) Sessions() Sessions { return clientSessions{c} }

// clientSessions is the Sessions a Client hands out.
type clientSessions struct{ c *Client }

// Login implements Sessions.Login.
func (s clientSessions) Login(ctx context.Context, login, password string) (Session, error) {
	if err := checkLogin(login, password); err != nil {
		return Session{}, &Error{Op: opLogin, Transport: s.c.transport, Kind: ErrInvalidInput, Message: err.Error()}
	}
	r := request{op: opLogin, login: login, password: password}
	if e := s.c.do(ctx, &r); e != nil {
		return Session{}, e
	}
	return r.session, nil
}

// Refresh implements Sessions.Refresh.
func (s clientSessions) Refresh(ctx context.Context, old Session) (Session, error) {
	if e := s.check(old, opRefresh); e != nil {
		return Session{}, e
	}
	r := request{op: opRefresh, token: old.Token}
	if e := s.c.do(ctx, &r); e != nil {
		return Session{}, e
	}
	return r.session, nil
}

// Logout implements Sessions.Logout.
func (s clientSessions) Logout(ctx context.Context, sess Session) error {
	if e := s.check(sess, opLogout); e != nil {
		return e
	}
	creds := sess.Credentials()
	r := request{op: opLogout, given: &creds}
	if e := s.c.do(ctx, &r); e != nil {
		return e
	}
	return nil
}

// check refuses a session the client's transport can't use.
func (s clientSessions) check(sess Session, op string) *Error {
	switch {
	case sess.Transport != s.c.transport:
		return &Error{Op: op, Transport: s.c.transport, Kind: ErrInvalidInput,
			Message: fmt.Sprintf("the session belongs to the %s transport, not %s", sess.Transport, s.c.transport)}
	case op == opRefresh && sess.Transport == SOAP:
		return &Error{Op: op, Transport: s.c.transport, Kind: ErrInvalidInput,
			Message: "a SOAP session can't be refreshed: it lasts while it is used; log in again when it expires"}
	}
	if err := wire.CheckSecret("session token", sess.Token); err != nil {
		return &Error{Op: op, Transport: s.c.transport, Kind: ErrInvalidInput, Message: err.Error()}
	}
	return nil
}

// WhoAmI implements Sessions.WhoAmI.
func (s clientSessions) WhoAmI(ctx context.Context) (Identity, error) {
	r := request{op: opWhoAmI}
	if e := s.c.do(ctx, &r); e != nil {
		return Identity{}, e
	}
	return r.identity, nil
}

// Format never shows a credential.
func (s clientSessions) Format(f fmt.State, verb rune) { s.c.Format(f, verb) }
