// This file holds the operations themselves, shared by both APIs:
// authentication, authorization and the key operations.

package ecgridtest

import "fmt"

// errKind classifies failures of the real operation.
type errKind int

const (
	errNone       errKind = iota
	errBadCred            // credential missing, unknown or revoked
	errBadSession         // REST bearer token not valid
	errDenied             // caller may not act on that user
	errNotFound           // no such user
	errParam              // bad user ID
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

// perform runs the real operation atomically: authenticate, parse/authorize, look
// up, then rotate or read. idOK is false if the user ID did not parse.
func (s *Server) perform(op string, cred credential, id int, idOK bool) (result, *opError) {
	s.mu.Lock()
	defer s.mu.Unlock()

	callerID, ok := -1, false
	if cred.present && cred.value != "" {
		callerID, ok = s.keys[cred.value]
		if !ok && cred.allowSess {
			callerID, ok = s.sessions[cred.value]
		}
	}
	var caller *userState
	if ok {
		caller = s.users[callerID]
	}
	if caller == nil {
		if cred.badSession {
			return result{}, &opError{errBadSession, "The bearer token is invalid or expired."}
		}
		if !cred.present || cred.value == "" {
			return result{}, &opError{errBadCred, "No API key or session was supplied."}
		}
		return result{}, &opError{errBadCred, "The API key or session is invalid or has been revoked."}
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
	for {
		k := newKey()
		if _, taken := s.keys[k]; !taken {
			target.key = k
			break
		}
	}
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
