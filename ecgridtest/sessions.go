// This file holds the sessions: seeded SOAP session IDs and REST tokens.

package ecgridtest

type session struct {
	userID int
	id     string
}

// AddSession adds a SOAP SessionID (also accepted as a REST bearer token) for the
// user. The user need not exist yet. An empty sessionID is ignored.
func (s *Server) AddSession(userID int, sessionID string) {
	if sessionID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sessionID] = userID
}
