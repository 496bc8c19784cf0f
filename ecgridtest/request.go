package ecgridtest

import (
	"net/http"
	"time"
)

// Request is one entry of the log returned by Server.Requests. Credentials are
// masked: the log never holds a whole key or session ID.
type Request struct {
	// Transport is "rest" or "soap" ("" for a path that belongs to neither API).
	Transport string
	// Op is the operation: "GenerateAPIKey", "GetAPIKey" (SOAP UserGetAPIKey),
	// "Login", "Logout", "Refresh", "WhoAmI" (REST GET /v2/users/me, SOAP WhoAmI)
	// or "Session" (REST POST /v2/auth/session); "" if the request addressed no
	// known operation.
	Op string
	// Method and Path are the HTTP method and URL path (without the query).
	Method, Path string
	// UserID is the target user ID of a key operation, from the path or the SOAP
	// body (0 if unparsable, and for the other operations).
	UserID int
	// SOAPVersion is "1.1", "1.2" or "" (REST, or an unrecognised Content-Type).
	SOAPVersion string
	// Credential is the presented X-API-Key, bearer token, SOAP SessionID or
	// refreshed token, masked (first 4 characters + "…" for long values, "****" for
	// short ones, "" if none). A login's name and password are never logged.
	Credential string
	// Header is a copy of the request header with X-API-Key and Authorization values masked.
	Header http.Header
	// Time is when the request was logged.
	Time time.Time
}

// Requests returns a copy of the log of received requests, oldest first. Every
// request that reached the server's handler is logged once, including unknown
// routes, wrong methods and dropped connections.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

func (s *Server) logRequest(r *http.Request, transport, op string, userID int, soapVersion, cred string) {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, vs := range h {
		switch http.CanonicalHeaderKey(k) {
		case "X-Api-Key", "Cookie":
			for i, v := range vs {
				vs[i] = mask(v)
			}
		case "Authorization", "Proxy-Authorization":
			for i, v := range vs {
				vs[i] = maskAuthorization(v)
			}
		}
	}
	entry := Request{
		Transport:   transport,
		Op:          op,
		Method:      r.Method,
		Path:        r.URL.Path,
		UserID:      userID,
		SOAPVersion: soapVersion,
		Credential:  mask(cred),
		Header:      h,
		Time:        time.Now(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, entry)
}
