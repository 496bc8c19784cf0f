// This file holds the sessions: seeded session IDs, SOAP Login session IDs and
// REST tokens, their expiry, and logging in and out.

package ecgridtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// DefaultSessionTTL is how long a session lasts unless WithSessionTTL says
// otherwise: 20 minutes, the default session timeout of an ASP.NET service.
const DefaultSessionTTL = 20 * time.Minute

// sessionKind says how a session was made, which decides how it expires.
type sessionKind int

const (
	sessionSeeded sessionKind = iota // WithSession, AddSession: expires after TTL of inactivity
	sessionSOAP                      // SOAP Login: expires after TTL of inactivity
	sessionREST                      // REST login or refresh: expires TTL after issue
)

// session is a seeded session, before the server starts.
type session struct {
	userID int
	id     string
}

type sessionState struct {
	userID  int
	kind    sessionKind
	expires time.Time
}

// live reports whether the session has not expired at now.
func (se *sessionState) live(now time.Time) bool { return now.Before(se.expires) }

// AddSession adds a session ID for the user, accepted as a SOAP SessionID and
// as a REST bearer token. The user need not exist yet. An empty sessionID is
// ignored. Like a SOAP session, it expires after the session TTL of inactivity
// (see WithSessionTTL); it survives key rotations.
func (s *Server) AddSession(userID int, sessionID string) {
	if sessionID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sessionID] = &sessionState{userID: userID, kind: sessionSeeded, expires: s.now().Add(s.ttl)}
}

// ExpireSession ends a session now, whatever made it (WithSession, AddSession, a
// SOAP Login, a REST login or refresh): from then on it gets the Authentication
// fault (SOAP) or 401 InvalidSession (REST). It reports whether idOrToken was a
// live session; it is not counted as a logout.
func (s *Server) ExpireSession(idOrToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.sessions[idOrToken]
	delete(s.sessions, idOrToken)
	return ok && se.live(s.now())
}

// ExpireSessions ends every session of the user now, as ExpireSession does, and
// returns how many were live.
func (s *Server) ExpireSessions(userID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for id, se := range s.sessions {
		if se.userID == userID {
			if se.live(now) {
				n++
			}
			delete(s.sessions, id)
		}
	}
	return n
}

// Sessions returns how many live (unexpired, not logged out) sessions the user
// has, of every kind; 0 if it has none or there is no such user.
func (s *Server) Sessions(userID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for _, se := range s.sessions {
		if se.userID == userID && se.live(now) {
			n++
		}
	}
	return n
}

// Logins returns how many logins succeeded, REST and SOAP together (a refresh is
// not a login; failed attempts are only in Requests).
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Logouts returns how many sessions were ended by a logout, REST and SOAP
// together (a logout with an API key ends no session and is not counted).
func (s *Server) Logouts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logouts
}

// lookupSession returns the live session id, deleting it if it has expired; touch
// extends a session that expires after inactivity. Requires s.mu.
func (s *Server) lookupSession(id string, now time.Time, touch bool) (*sessionState, bool) {
	se, ok := s.sessions[id]
	if !ok {
		return nil, false
	}
	if !se.live(now) {
		delete(s.sessions, id)
		return nil, false
	}
	if touch && se.kind != sessionREST {
		se.expires = now.Add(s.ttl)
	}
	return se, true
}

// newSession starts a session of the given kind for the user and returns its ID
// (a REST token, or a GUID-shaped SOAP session ID). Requires s.mu.
func (s *Server) newSession(userID int, kind sessionKind, now time.Time) (string, *sessionState) {
	se := &sessionState{userID: userID, kind: kind, expires: now.Add(s.ttl)}
	gen := newKey
	if kind == sessionREST {
		gen = func() string { return newToken(userID, se.expires) }
	}
	id := s.freshID(gen)
	s.sessions[id] = se
	return id, se
}

// login checks a login and password and starts a session: a REST token for
// transport "rest", a SOAP session ID otherwise.
func (s *Server) login(transport, login, password string) (result, *opError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var user *userState
	for _, u := range s.users {
		if u.login != "" && u.password != "" && strings.EqualFold(u.login, login) && u.password == password {
			user = u
			break
		}
	}
	if user == nil {
		return result{}, &opError{errLogin, "The login or password is wrong."}
	}
	kind := sessionSOAP
	if transport == TransportREST {
		kind = sessionREST
	}
	id, se := s.newSession(user.id, kind, s.now())
	s.logins++
	return result{op: OpLogin, value: id, expires: se.expires, user: user.info()}, nil
}

// refresh replaces a live session (of any kind) with a new REST token.
func (s *Server) refresh(token string) (result, *opError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	se, ok := s.lookupSession(token, now, false)
	var user *userState
	if ok {
		user = s.users[se.userID]
	}
	if user == nil {
		return result{}, &opError{errBadSession, "The token is invalid or expired."}
	}
	delete(s.sessions, token)
	id, fresh := s.newSession(user.id, sessionREST, now)
	return result{op: OpRefresh, value: id, expires: fresh.expires, user: user.info()}, nil
}

// logout ends the caller's session, if its credential is one; an API key has no
// session to end and succeeds too.
func (s *Server) logout(cred credential) (result, *opError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	caller, sessionID, e := s.authenticate(cred)
	if e != nil {
		return result{}, e
	}
	if sessionID != "" {
		delete(s.sessions, sessionID)
		s.logouts++
	}
	return result{op: OpLogout, user: caller.info()}, nil
}

// newToken returns an opaque, JWT-shaped bearer token: base64url header, claims
// (subject, expiry and a random ID) and a random signature.
func newToken(userID int, expires time.Time) string {
	var jti [16]byte
	var sig [32]byte
	if _, err := rand.Read(jti[:]); err != nil {
		panic("ecgridtest: crypto/rand: " + err.Error())
	}
	if _, err := rand.Read(sig[:]); err != nil {
		panic("ecgridtest: crypto/rand: " + err.Error())
	}
	enc := base64.RawURLEncoding
	claims := `{"sub":"` + strconv.Itoa(userID) + `","exp":` + strconv.FormatInt(expires.Unix(), 10) +
		`,"jti":"` + hex.EncodeToString(jti[:]) + `"}`
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(claims)) + "." + enc.EncodeToString(sig[:])
}
