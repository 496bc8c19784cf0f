package ecgridtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// This file serves the REST API's routes.

const (
	restGeneratePrefix = "/v2/users/key-generate/"
	restGetPrefix      = "/v2/users/key/"
	restLoginPath      = "/v2/auth/login"
	restRefreshPath    = "/v2/auth/refresh"
	restLogoutPath     = "/v2/auth/logout"
	restSessionPath    = "/v2/auth/session"
	restMePath         = "/v2/users/me"
	jsonContentType    = "application/json; charset=utf-8"
)

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, op, method, rawID string) {
	if rawID == "" || strings.Contains(rawID, "/") {
		s.logRequest(r, TransportREST, "", 0, "", "")
		notFound(w)
		return
	}
	id, idOK, _ := parseUserID(rawID, true) // a path segment is digits only
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
// value (0 if it does not parse); ok is true only for a positive ID, and with
// digitsOnly only for one without a sign. err is strconv's error when v does not
// parse as xs:int (strconv.ErrRange when it is out of range).
func parseUserID(v string, digitsOnly bool) (id int, ok bool, err error) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false, err
	}
	return int(n), n > 0 && !(digitsOnly && v[0] == '+'), nil
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

// serveRESTSession serves the session routes: login, refresh, logout, session
// and Get Me. Login and refresh need no credential header: their body holds the
// credential (a password is never logged).
func (s *Server) serveRESTSession(w http.ResponseWriter, r *http.Request, op, method string) {
	cred := restCredential(r)
	if r.Method != method {
		s.logRequest(r, TransportREST, op, 0, "", cred.value)
		w.Header().Set("Allow", method)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, ok := readBody(w, r)
	logged := cred.value
	var (
		fields  map[string]string
		parseOK bool
	)
	switch op {
	case OpLogin:
		logged = ""
		if ok {
			fields, parseOK = jsonStrings(body, "login", "password")
		}
	case OpRefresh:
		logged = ""
		if ok {
			if fields, parseOK = jsonStrings(body, "token"); parseOK {
				logged = fields["token"]
			}
		}
	}
	s.logRequest(r, TransportREST, op, 0, "", logged)
	if !ok {
		return
	}

	f := s.takeFault(TransportREST, op)
	s.answer(w, r, restAnswerer{}, f, op, func() (result, *opError) {
		switch op {
		case OpLogin:
			if !parseOK {
				return result{}, &opError{errParam, `The body must be a JSON object with a non-empty "login" and "password".`}
			}
			return s.login(TransportREST, fields["login"], fields["password"])
		case OpRefresh:
			if !parseOK {
				return result{}, &opError{errParam, `The body must be a JSON object with a non-empty "token".`}
			}
			return s.refresh(fields["token"])
		case OpLogout:
			return s.logout(cred)
		}
		return s.whoAmI(op, cred)
	})
}

// jsonStrings reads a JSON object and returns the named members, which must all
// be non-empty strings; other members are ignored. ok is false otherwise.
func jsonStrings(body []byte, names ...string) (map[string]string, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, false
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		var v string
		raw, ok := obj[n]
		if !ok || json.Unmarshal(raw, &v) != nil || v == "" {
			return nil, false
		}
		out[n] = v
	}
	return out, true
}
