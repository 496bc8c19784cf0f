// This file holds the options of NewServer and Start.

package ecgridtest

import (
	"log"
	"strings"
	"time"
)

type config struct {
	users       []User
	sessions    []session
	addr        string
	ns          string
	wsdl        []byte
	wsdlGiven   bool // WithWSDL, even with nil; else the default soap.WSDL()
	basePath    string
	errorLog    *log.Logger
	addrGiven   bool
	selfKeyRead bool
	clock       func() time.Time
	ttl         time.Duration
}

// Option configures a Server created by NewServer or Start.
type Option func(*config)

// WithUser seeds a user. An empty APIKey is replaced by a random key; read it back
// with Server.Key.
func WithUser(u User) Option { return func(c *config) { c.users = append(c.users, u) } }

// WithSession seeds a session ID for the user, accepted as a SOAP SessionID and as
// a REST bearer token. Sessions are independent of keys: rotating the user's key
// leaves them valid. Like a SOAP session, it expires after the session TTL of
// inactivity (WithSessionTTL).
func WithSession(userID int, sessionID string) Option {
	return func(c *config) { c.sessions = append(c.sessions, session{userID, sessionID}) }
}

// WithAddr sets the listen address. The default is "127.0.0.1:0" (falling back to
// "[::1]:0"): the server listens on loopback only unless given another address.
func WithAddr(addr string) Option {
	return func(c *config) { c.addr = addr; c.addrGiven = true }
}

// WithNamespace sets the one SOAP operation namespace the server recognises and
// answers in (default DefaultNamespace), as an ASMX service has exactly one: a
// SOAP action in another namespace is not recognised, and parameters in another
// namespace bind to nothing (see the package documentation).
func WithNamespace(ns string) Option { return func(c *config) { c.ns = ns } }

// WithWSDL replaces the bytes served at GET <SOAP endpoint>?WSDL (the query key is
// matched case-insensitively); the default is the SDK's WSDL, soap.WSDL(), and nil
// makes that request get 404. As ASMX does, the location of every soap:address and
// soap12:address in it is rewritten to the server's own SOAPURL, so a client built
// from the WSDL calls the fake. An empty b is nil. NewServer and Start read b and
// serve a copy of it: changing b afterwards changes nothing.
func WithWSDL(b []byte) Option {
	return func(c *config) {
		c.wsdl, c.wsdlGiven = b, true
		if len(b) == 0 {
			c.wsdl = nil
		}
	}
}

// WithBasePath mounts both APIs under a path prefix such as "/base", so that a client
// that ignores the path of its base URL fails. Server.URL and Server.SOAPURL include it.
func WithBasePath(p string) Option {
	return func(c *config) { c.basePath = "/" + strings.Trim(p, "/") }
}

// WithSelfKeyRead lets a user below NetworkAdmin read its own key (REST GET
// /v2/users/key/{id}, SOAP UserGetAPIKey). Without it the server follows the
// vendor's REST reference: reading any key, one's own included, needs
// NetworkAdmin or higher, and users get their own key only by generating a new
// one. Rotating is not affected: a user may always rotate its own key.
func WithSelfKeyRead() Option { return func(c *config) { c.selfKeyRead = true } }

// WithSessionTTL sets how long sessions last (default DefaultSessionTTL, 20
// minutes; d <= 0 keeps the default). A REST token (login, refresh) expires d
// after it was issued, as its expiresAt says; a SOAP session (Login) or a seeded
// session (WithSession, AddSession) expires after d without use, by either API.
// An expired session gets the Authentication fault (SOAP) or 401 InvalidSession
// (REST). Server.ExpireSession ends one at once.
func WithSessionTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.ttl = d
		}
	}
}

// WithClock makes the server read the time from now instead of time.Now: for
// session expiry (see WithSessionTTL) and for the times it answers (a token's
// expiresAt, a user's created). A test can then expire sessions by moving its
// clock instead of sleeping. now must be safe for concurrent use; nil means
// time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithErrorLog sets the logger for net/http's internal errors (default: discard).
func WithErrorLog(l *log.Logger) Option { return func(c *config) { c.errorLog = l } }
