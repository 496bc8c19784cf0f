// Package core holds the contract shared by the ecgrid package and its
// transports: the Users interface, the error model, credentials and the
// HTTP helpers both transports use. It is internal; the ecgrid package
// re-exports what callers need.
package core

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel kinds. Every *Error carries exactly one of them in Kind.
var (
	ErrInvalidInput   = errors.New("ecgrid: invalid input")
	ErrUnauthorized   = errors.New("ecgrid: unauthorized")
	ErrForbidden      = errors.New("ecgrid: forbidden")
	ErrNotFound       = errors.New("ecgrid: not found")
	ErrRateLimited    = errors.New("ecgrid: rate limited")
	ErrUnavailable    = errors.New("ecgrid: service unavailable")
	ErrServer         = errors.New("ecgrid: server error")
	ErrBadResponse    = errors.New("ecgrid: bad response")
	ErrRedirect       = errors.New("ecgrid: redirect refused")
	ErrOutcomeUnknown = errors.New("ecgrid: outcome unknown")
)

// Outcome says what a failed call may have changed on the server.
type Outcome int

const (
	// OutcomeNotApplied: the server certainly did not act on the request.
	// For GenerateAPIKey the old key is still valid.
	OutcomeNotApplied Outcome = iota
	// OutcomeUnknown: the request may have been processed. For
	// GenerateAPIKey the old key may no longer work.
	OutcomeUnknown
)

// String returns "not applied" or "unknown".
func (o Outcome) String() string {
	if o == OutcomeUnknown {
		return "unknown"
	}
	return "not applied"
}

// Operation names as they appear in errors and logs.
const (
	OpGenerateAPIKey = "GenerateAPIKey"
	OpGetAPIKey      = "GetAPIKey"
)

// Transport names.
const (
	TransportREST = "rest"
	TransportSOAP = "soap"
)

// Error is the one error type every call returns.
type Error struct {
	Op         string        // "GenerateAPIKey" or "GetAPIKey"
	Transport  string        // "rest" or "soap": the transport that answered last
	UserID     int           // the user the call was about
	StatusCode int           // HTTP status, 0 when no answer was received
	Code       string        // REST errorCode or SOAP ECGridOSSOAPErrorCode (name or number)
	FaultCode  string        // SOAP fault code local name: Client, Server, Sender, Receiver
	Message    string        // the service's message (secrets removed) or a description
	Kind       error         // one of the Err* sentinels
	Outcome    Outcome       // whether the request may have been processed
	Attempts   int           // attempts made, including the first
	RetryAfter time.Duration // the delay the service asked for (429 or 503)
	Err        error         // underlying cause, if any (network error, context error)
	Fallback   error         // the REST failure, when the call fell back to SOAP
}

// Error describes the failure without any credential or key.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ecgrid: ")
	b.WriteString(e.Op)
	if e.Transport != "" {
		b.WriteString(" over ")
		b.WriteString(e.Transport)
	}
	if e.UserID != 0 {
		b.WriteString(" for user ")
		b.WriteString(strconv.Itoa(e.UserID))
	}
	b.WriteString(": ")
	b.WriteString(kindLabel(e.Kind))
	var parts []string
	if e.StatusCode != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(e.StatusCode))
	}
	if e.FaultCode != "" {
		parts = append(parts, "fault "+e.FaultCode)
	}
	if e.Code != "" {
		parts = append(parts, e.Code)
	}
	if len(parts) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(parts, ", "))
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, "; gave up after %d attempts", e.Attempts)
	}
	if e.Op == OpGenerateAPIKey {
		if e.Outcome == OutcomeUnknown {
			b.WriteString("; outcome unknown: the key may have been rotated, so the old key may no longer work; " +
				"read the current key with GetAPIKey using a credential that still works")
		} else {
			b.WriteString("; the key was not rotated: the old key is still valid")
		}
	}
	if e.Fallback != nil {
		b.WriteString("; before falling back to SOAP: ")
		b.WriteString(e.Fallback.Error())
	}
	return b.String()
}

// Is reports whether target is the error's kind, or ErrOutcomeUnknown when
// the outcome is unknown.
func (e *Error) Is(target error) bool {
	if target == nil {
		return false
	}
	if target == e.Kind {
		return true
	}
	return target == ErrOutcomeUnknown && e.Outcome == OutcomeUnknown
}

// Unwrap returns the underlying cause and, after a fallback, the REST failure.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Fallback != nil {
		errs = append(errs, e.Fallback)
	}
	return errs
}

// HTTPStatusCode returns the HTTP status of the answer, or 0.
func (e *Error) HTTPStatusCode() int { return e.StatusCode }

// ErrorCode returns the service's error code (REST errorCode or SOAP ECGridOSSOAPErrorCode).
func (e *Error) ErrorCode() string { return e.Code }

func kindLabel(k error) string {
	if k == nil {
		return "error"
	}
	return strings.TrimPrefix(k.Error(), "ecgrid: ")
}

// KindForCode maps a service error code (REST errorCode or SOAP
// ECGridOSSOAPErrorCode name) to a kind, or nil when the code is unknown.
func KindForCode(code string) error {
	switch code {
	case "InvalidAPIKey", "InvalidSession", "Authentication":
		return ErrUnauthorized
	case "AccessDenied", "Authorization":
		return ErrForbidden
	case "ObjectNotFound":
		return ErrNotFound
	case "InvalidParameter", "DuplicateObject":
		return ErrInvalidInput
	case "RateLimitExceeded":
		return ErrRateLimited
	case "InternalError", "SystemError":
		return ErrServer
	}
	return nil
}

// KindForRefusal returns the kind of a status that proves the service
// refused the request without processing it (429, 503), whatever the body
// says, or nil.
func KindForRefusal(status int) error {
	switch status {
	case 429:
		return ErrRateLimited
	case 503:
		return ErrUnavailable
	}
	return nil
}

// KindForStatus maps an HTTP status without a usable error code to a kind.
func KindForStatus(status int) error {
	switch {
	case status == 401:
		return ErrUnauthorized
	case status == 403:
		return ErrForbidden
	case status == 404:
		return ErrNotFound
	case status == 429:
		return ErrRateLimited
	case status == 501, status == 503:
		return ErrUnavailable
	case status >= 300 && status < 400:
		return ErrRedirect
	case status >= 400 && status < 500:
		return ErrInvalidInput
	case status >= 500:
		return ErrServer
	}
	return ErrBadResponse
}

// OutcomeForKind says whether a failure of that kind, after the request was
// sent, may have been processed: a server error or an unreadable answer may
// have been; an answer that refused the request was not.
func OutcomeForKind(kind error) Outcome {
	if kind == ErrServer || kind == ErrBadResponse {
		return OutcomeUnknown
	}
	return OutcomeNotApplied
}

// ParseRetryAfter reads a Retry-After value given as seconds or as an HTTP
// date. It returns 0 for an empty, negative or unparsable value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > int64(24*time.Hour/time.Second) {
			if n > 0 {
				return 24 * time.Hour
			}
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Truncate shortens s to at most n bytes on a rune boundary, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// StatusOutcome returns the outcome of a failure of that kind answered with
// that status: a 5xx other than 501 and 503 may have been processed.
func StatusOutcome(kind error, status int) Outcome {
	if status/100 == 5 && status != 501 && status != 503 {
		return OutcomeUnknown
	}
	return OutcomeForKind(kind)
}
