package ecgridtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const (
	restGeneratePrefix = "/v2/users/key-generate/"
	restGetPrefix      = "/v2/users/key/"
	jsonContentType    = "application/json; charset=utf-8"
)

// REST error codes used in envelopes.
const (
	codeInvalidAPIKey     = "InvalidAPIKey"
	codeInvalidSession    = "InvalidSession"
	codeAccessDenied      = "AccessDenied"
	codeObjectNotFound    = "ObjectNotFound"
	codeInvalidParameter  = "InvalidParameter"
	codeDuplicateObject   = "DuplicateObject"
	codeRateLimitExceeded = "RateLimitExceeded"
	codeInternalError     = "InternalError"
)

// envelope is the REST answer. Data is a *string so that it encodes as null on errors.
type envelope struct {
	Success   bool    `json:"success"`
	Data      *string `json:"data"`
	ErrorCode string  `json:"errorCode"`
	Message   string  `json:"message"`
}

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
	s.answer(w, r, restAnswerer{}, f, func() (string, *opError) {
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

type restAnswerer struct{}

func writeEnvelope(w http.ResponseWriter, status int, e envelope) {
	b, err := json.Marshal(e)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (restAnswerer) success(w http.ResponseWriter, key string) {
	writeEnvelope(w, http.StatusOK, envelope{Success: true, Data: &key})
}

func (restAnswerer) opError(w http.ResponseWriter, e *opError) {
	code := map[errKind]string{
		errBadCred:    codeInvalidAPIKey,
		errBadSession: codeInvalidSession,
		errDenied:     codeAccessDenied,
		errNotFound:   codeObjectNotFound,
		errParam:      codeInvalidParameter,
	}[e.kind]
	if code == "" {
		code = codeInternalError
	}
	writeEnvelope(w, statusForRESTCode(code), envelope{ErrorCode: code, Message: e.msg})
}

func (restAnswerer) faultError(w http.ResponseWriter, f *Fault) {
	status, code := f.Status, f.RESTCode
	if status == 0 {
		status = statusForRESTCode(code)
	}
	if code == "" {
		code = restCodeForStatus(status)
	}
	msg := f.Message
	if msg == "" {
		msg = defaultRESTMessage(code, status)
	}
	writeEnvelope(w, status, envelope{ErrorCode: code, Message: msg})
}

func (restAnswerer) successFalse(w http.ResponseWriter, f *Fault) {
	code := f.RESTCode
	if code == "" {
		code = codeInternalError
	}
	msg := f.Message
	if msg == "" {
		msg = defaultRESTMessage(code, http.StatusOK)
	}
	writeEnvelope(w, http.StatusOK, envelope{ErrorCode: code, Message: msg})
}

func (restAnswerer) successBody(key string) (string, []byte) {
	b, _ := json.Marshal(envelope{Success: true, Data: &key})
	return jsonContentType, b
}

func (restAnswerer) oversize(w http.ResponseWriter, n int) {
	writeOversize(w, jsonContentType, `{"success":true,"data":"`, `","errorCode":"","message":""}`, n)
}

func statusForRESTCode(code string) int {
	switch code {
	case codeInvalidAPIKey, codeInvalidSession:
		return http.StatusUnauthorized
	case codeAccessDenied:
		return http.StatusForbidden
	case codeObjectNotFound:
		return http.StatusNotFound
	case codeInvalidParameter, codeDuplicateObject:
		return http.StatusBadRequest
	case codeRateLimitExceeded:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

func restCodeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return codeInvalidParameter
	case http.StatusUnauthorized:
		return codeInvalidAPIKey
	case http.StatusForbidden:
		return codeAccessDenied
	case http.StatusNotFound:
		return codeObjectNotFound
	case http.StatusConflict:
		return codeDuplicateObject
	case http.StatusTooManyRequests:
		return codeRateLimitExceeded
	}
	return codeInternalError
}

func defaultRESTMessage(code string, status int) string {
	switch code {
	case codeInvalidAPIKey:
		return "The API key is missing, unknown or revoked."
	case codeInvalidSession:
		return "The bearer token is invalid or expired."
	case codeAccessDenied:
		return "The caller's AuthLevel is too low."
	case codeObjectNotFound:
		return "The object was not found."
	case codeInvalidParameter:
		return "A parameter is invalid."
	case codeDuplicateObject:
		return "The object already exists."
	case codeRateLimitExceeded:
		return "Too many requests; slow down."
	}
	return fmt.Sprintf("Injected server error (HTTP %d).", status)
}
