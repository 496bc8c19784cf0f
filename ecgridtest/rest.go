package ecgridtest

import (
	"net/http"
	"strconv"
	"strings"
)

const (
	restGeneratePrefix = "/v2/users/key-generate/"
	restGetPrefix      = "/v2/users/key/"
	jsonContentType    = "application/json; charset=utf-8"
)

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, op, method, rawID string) {
	if rawID == "" || strings.Contains(rawID, "/") {
		s.logRequest(r, TransportREST, "", 0, "", "")
		notFound(w)
		return
	}
	id, idOK := parseUserID(rawID)
	if strings.HasPrefix(rawID, "+") {
		idOK = false // a path segment is digits only
	}
	cred := restCredential(r)
	s.logRequest(r, TransportREST, op, id, "", cred.value)

	if r.Method != method {
		w.Header().Set("Allow", method)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if _, ok := readBody(w, r); !ok {
		return
	}
	f := s.takeFault(TransportREST, op)
	s.answer(w, r, restAnswerer{}, f, op, func() (result, *opError) {
		return s.perform(op, cred, id, idOK)
	})
}

// parseUserID parses a user ID as xs:int (optional sign, 32-bit). id is the parsed
// value (0 if it does not parse); ok is true only for a positive ID.
func parseUserID(v string) (id int, ok bool) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), n > 0
}

// restCredential extracts the credential: X-API-Key wins over Authorization: Bearer.
func restCredential(r *http.Request) credential {
	if vs, ok := r.Header["X-Api-Key"]; ok && len(vs) > 0 {
		return credential{value: vs[0], present: true}
	}
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(a), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			tok = strings.TrimSpace(tok)
			return credential{value: tok, present: tok != "", allowSess: true, badSession: true}
		}
	}
	return credential{}
}
