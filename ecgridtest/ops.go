// This file holds the operations themselves, shared by both APIs:
// authentication, authorization, the key operations and who-am-I.

package ecgridtest

import (
	"fmt"
	"time"
)

// errKind classifies failures of the real operation.
type errKind int

const (
	errNone       errKind = iota
	errBadCred            // credential missing, unknown or revoked
	errBadSession         // REST bearer token (or refresh token) not valid
	errLogin              // wrong login or password
	errDenied             // caller may not act on that user
	errNotFound           // no such user
	errParam              // bad user ID or request body
)

// opError is a failure of the real operation.
type opError struct {
	kind errKind
	msg  string
}

// credential is what a request presented.
type credential struct {
	value      string
	present    bool
	allowSess  bool // may also be a session ID (bearer token, SOAP SessionID)
	badSession bool // a failed lookup is InvalidSession rather than InvalidAPIKey
}

// userInfo is what Get Me, WhoAmI and a login answer about a user.
type userInfo struct {
	id                   int
	login, email         string
	firstName, lastName  string
	networkID, mailboxID int
	level                AuthLevel
	created              time.Time
}

func (u *userState) info() userInfo {
	return userInfo{
		id: u.id, login: u.login, email: u.email, firstName: u.firstName, lastName: u.lastName,
		networkID: u.networkID, mailboxID: u.mailboxID, level: u.level, created: u.created,
	}
}

// authenticate finds the caller: a user's current key, or (if allowed) a live
// session, which it keeps alive. sessionID is the session used, if any. Requires
// s.mu.
func (s *Server) authenticate(cred credential) (caller *userState, sessionID string, e *opError) {
	if cred.present && cred.value != "" {
		if id, ok := s.keys[cred.value]; ok {
			caller = s.users[id]
		} else if cred.allowSess {
			if se, ok := s.lookupSession(cred.value, s.now(), true); ok {
				caller, sessionID = s.users[se.userID], cred.value
			}
		}
	}
	if caller != nil {
		return caller, sessionID, nil
	}
	switch {
	case cred.badSession:
		return nil, "", &opError{errBadSession, "The bearer token is invalid or expired."}
	case !cred.present || cred.value == "":
		return nil, "", &opError{errBadCred, "No API key or session was supplied."}
	}
	return nil, "", &opError{errBadCred, "The API key or session is invalid or has been revoked."}
}

// perform runs a key operation atomically: authenticate, check the user ID,
// authorize, look up, then rotate or read. idOK is false if the user ID did not
// parse.
func (s *Server) perform(op string, cred credential, id int, idOK bool) (result, *opError) {
	s.mu.Lock()
	defer s.mu.Unlock()

	caller, _, e := s.authenticate(cred)
	if e != nil {
		return result{}, e
	}
	if !idOK || id <= 0 {
		return result{}, &opError{errParam, "The user ID must be a positive 32-bit integer."}
	}
	if e := s.authorize(op, caller, id); e != nil {
		return result{}, e
	}
	target, ok := s.users[id]
	if !ok {
		return result{}, &opError{errNotFound, fmt.Sprintf("User %d was not found.", id)}
	}
	if op == OpGetAPIKey {
		return result{op: op, value: target.key}, nil
	}
	delete(s.keys, target.key)
	target.key = s.freshID(newKey)
	s.keys[target.key] = target.id
	target.rotations++
	return result{op: op, value: target.key}, nil
}

// authorize applies the key rules: rotating another user's key needs
// NetworkAdmin or higher (a user may always rotate its own); reading any key,
// one's own included, needs NetworkAdmin or higher unless WithSelfKeyRead lets a
// user read its own. Requires s.mu.
func (s *Server) authorize(op string, caller *userState, id int) *opError {
	if caller.level >= AuthLevelNetworkAdmin {
		return nil
	}
	switch {
	case caller.id != id:
		return &opError{errDenied, "The caller's AuthLevel does not allow acting on another user."}
	case op == OpGetAPIKey && !s.selfKeyRead:
		return &opError{errDenied, "Reading an API key needs NetworkAdmin or higher; users get their own key by generating a new one."}
	}
	return nil
}

// whoAmI answers who the caller is (REST Get Me, SOAP WhoAmI) or, for op
// OpSession, also when its session expires (zero for an API key).
func (s *Server) whoAmI(op string, cred credential) (result, *opError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	caller, sessionID, e := s.authenticate(cred)
	if e != nil {
		return result{}, e
	}
	res := result{op: op, user: caller.info()}
	if sessionID != "" {
		res.expires = s.sessions[sessionID].expires
	}
	return res, nil
}
