// This file renders REST answers: the JSON envelope and the error codes.

package ecgridtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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

// envelope is the REST answer. Data is nil (null) on errors.
type envelope struct {
	Success   bool   `json:"success"`
	Data      any    `json:"data"`
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// restSentinel stands for the value while a success answer is rendered, so that
// the answer can be split around it; it needs no escaping in JSON.
const restSentinel = "ecgridtest-value-sentinel-5f0c2a"

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

// render renders a success envelope. Its data is the value as a JSON string.
func (restAnswerer) render(res result) rendered {
	b, err := json.Marshal(envelope{Success: true, Data: restSentinel})
	if err != nil {
		panic("ecgridtest: " + err.Error()) // a string always marshals
	}
	prefix, suffix, _ := strings.Cut(string(b), restSentinel)
	value := ""
	if !res.empty {
		v, _ := json.Marshal(res.value)
		value = string(v[1 : len(v)-1])
	}
	return rendered{
		header: http.Header{"Content-Type": {jsonContentType}},
		prefix: prefix, value: value, suffix: suffix, fill: 'A',
	}
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
	if f.Unhandled && code == "" {
		code = codeInternalError
	}
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
