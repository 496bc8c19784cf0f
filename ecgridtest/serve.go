// This file routes requests to the REST and SOAP handlers.

package ecgridtest

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()

	p := r.URL.Path
	if s.basePath != "" {
		if p != s.basePath && !strings.HasPrefix(p, s.basePath+"/") {
			s.logRequest(r, "", "", 0, "", "")
			notFound(w)
			return
		}
		p = strings.TrimPrefix(p, s.basePath)
	}
	switch {
	case strings.EqualFold(p, SOAPPath):
		s.serveSOAP(w, r)
	case strings.HasPrefix(p, restGeneratePrefix):
		s.serveREST(w, r, OpGenerateAPIKey, http.MethodPost, strings.TrimPrefix(p, restGeneratePrefix))
	case strings.HasPrefix(p, restGetPrefix):
		s.serveREST(w, r, OpGetAPIKey, http.MethodGet, strings.TrimPrefix(p, restGetPrefix))
	case p == restLoginPath:
		s.serveRESTSession(w, r, OpLogin, http.MethodPost)
	case p == restRefreshPath:
		s.serveRESTSession(w, r, OpRefresh, http.MethodPost)
	case p == restLogoutPath:
		s.serveRESTSession(w, r, OpLogout, http.MethodPost)
	case p == restSessionPath:
		s.serveRESTSession(w, r, OpSession, http.MethodPost)
	case p == restMePath:
		s.serveRESTSession(w, r, OpWhoAmI, http.MethodGet)
	default:
		s.logRequest(r, "", "", 0, "", "")
		notFound(w)
	}
}

func notFound(w http.ResponseWriter) {
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// readBody reads the request body up to MaxRequestBody. ok is false (and a 413 has
// been written) if the body is too large or unreadable.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
		}
		return nil, false
	}
	return b, true
}
