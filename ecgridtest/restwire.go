// This file renders REST answers: the JSON envelope and the error codes.

package ecgridtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
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

// loginData is the data of a REST login or refresh.
type loginData struct {
	Token     string  `json:"token"`
	ExpiresAt *string `json:"expiresAt"`
	UserID    int     `json:"userId"`
}

// meData is the data of REST Get Me.
type meData struct {
	UserID    int    `json:"userId"`
	Login     string `json:"login"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	NetworkID int    `json:"networkId"`
	MailboxID int    `json:"mailboxId"`
	AuthLevel string `json:"authLevel"`
	Status    string `json:"status"`
	Created   string `json:"created"`
}

// sessionData is the data of REST POST /v2/auth/session.
type sessionData struct {
	UserID    int     `json:"userId"`
	Login     string  `json:"login"`
	NetworkID int     `json:"networkId"`
	MailboxID int     `json:"mailboxId"`
	AuthLevel string  `json:"authLevel"`
	ExpiresAt *string `json:"expiresAt"`
}

// timeText is how the REST API writes a time: RFC 3339 in UTC, to the millisecond.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// optionalTime is timeText, or nil (null) for the zero time.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := timeText(t)
	return &v
}

// render renders a success envelope: the key as a string (key operations), a
// token object (Login, Refresh), true (Logout), the user (WhoAmI) or the session
// (Session). Its value is the key or token; EmptyKey empties it, or makes the
// data null for the operations without one.
func (restAnswerer) render(res result) rendered {
	var data any
	hasValue := true
	switch res.op {
	case OpLogin, OpRefresh:
		data = loginData{Token: restSentinel, ExpiresAt: optionalTime(res.expires), UserID: res.user.id}
	case OpLogout:
		data, hasValue = true, false
	case OpWhoAmI:
		u := res.user
		data, hasValue = meData{
			UserID: u.id, Login: u.login, Email: u.email, FirstName: u.firstName, LastName: u.lastName,
			NetworkID: u.networkID, MailboxID: u.mailboxID, AuthLevel: u.level.String(),
			Status: "Active", Created: timeText(u.created),
		}, false
	case OpSession:
		u := res.user
		data, hasValue = sessionData{
			UserID: u.id, Login: u.login, NetworkID: u.networkID, MailboxID: u.mailboxID,
			AuthLevel: u.level.String(), ExpiresAt: optionalTime(res.expires),
		}, false
	default:
		data = restSentinel
	}
	if res.empty && !hasValue {
		data = nil
	}
	b, err := json.Marshal(envelope{Success: true, Data: data})
	if err != nil {
		panic("ecgridtest: " + err.Error()) // the data types always marshal
	}
	body := string(b)
	rd := rendered{header: http.Header{"Content-Type": {jsonContentType}}, fill: 'A'}
	if !hasValue {
		// No value: Oversize pads with white space before the error code.
		i := strings.LastIndex(body, `,"errorCode":`)
		rd.prefix, rd.suffix, rd.fill = body[:i], body[i:], ' '
		return rd
	}
	rd.prefix, rd.suffix, _ = strings.Cut(body, restSentinel)
	if !res.empty {
		v, _ := json.Marshal(res.value)
		rd.value = string(v[1 : len(v)-1])
	}
	return rd
}

func (restAnswerer) opError(w http.ResponseWriter, e *opError) {
	code := restCodeForKind(e.kind)
	writeEnvelope(w, statusForRESTCode(code), envelope{ErrorCode: code, Message: e.msg})
}

// restCodeForKind returns the REST error code of a failed operation; the SOAP
// answer takes its ECGridOSSOAPErrorCode from it (soapCodeForREST).
func restCodeForKind(k errKind) string {
	switch k {
	case errBadCred:
		return codeInvalidAPIKey
	case errBadSession, errLogin:
		return codeInvalidSession
	case errDenied:
		return codeAccessDenied
	case errNotFound:
		return codeObjectNotFound
	case errParam:
		return codeInvalidParameter
	}
	return codeInternalError
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
