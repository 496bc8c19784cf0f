package ecgrid

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// The kinds of failure, for errors.Is. Every error this package returns
// matches exactly one kind; the same failure has the same kind on REST and
// on SOAP. An error may also match ErrOutcomeUnknown.
var (
	// ErrInvalidInput: the request was refused as malformed, by this library
	// before anything was sent (a user ID out of range, an unusable
	// credential, a nil context) or by the service (HTTP 400,
	// InvalidParameter, DuplicateObject, a SOAP Client fault without a known
	// code).
	ErrInvalidInput = errors.New("ecgrid: invalid input")
	// ErrUnauthorized: the credential is missing, unknown, expired or revoked
	// (HTTP 401 InvalidAPIKey or InvalidSession; SOAP Authentication), a
	// login or password is wrong, or a CredentialsProvider failed.
	ErrUnauthorized = errors.New("ecgrid: unauthorized")
	// ErrForbidden: the caller's AuthLevel is too low (HTTP 403
	// AccessDenied; SOAP Authorization).
	ErrForbidden = errors.New("ecgrid: forbidden")
	// ErrNotFound: no such user (HTTP 404 ObjectNotFound; SOAP
	// ObjectNotFound). A 404 without an ECGrid envelope (Code empty) means
	// the endpoint itself does not exist.
	ErrNotFound = errors.New("ecgrid: not found")
	// ErrRateLimited: HTTP 429; Error.RetryAfter holds the requested delay.
	ErrRateLimited = errors.New("ecgrid: rate limited")
	// ErrUnavailable: the service could not be reached or did not answer
	// (connection refused, DNS or TLS failure, reset, timeout), or answered
	// 503 or 501. Error.Outcome says whether the request may have arrived.
	ErrUnavailable = errors.New("ecgrid: service unavailable")
	// ErrServer: the service failed (HTTP 500, 502, 504, InternalError; a
	// SOAP Server or Receiver fault, or a fault whose code is not exactly
	// Client or Sender). The outcome is unknown.
	ErrServer = errors.New("ecgrid: server error")
	// ErrBadResponse: the answer could not be used: a success without a key
	// or with a key that is not printable text, a truncated, oversized or
	// unparsable body, an HTML page with 200, a result and a fault at once,
	// a 1xx as the final answer. The outcome is unknown.
	ErrBadResponse = errors.New("ecgrid: bad response")
	// ErrRedirect: the service answered with a redirect. Redirects are never
	// followed, so the credential never travels to another host.
	ErrRedirect = errors.New("ecgrid: redirect refused")
	// ErrPersist is the kind of the error RotateAPIKey or MigrateToREST
	// returns when Persist (RotateOptions.Persist, MigrateOptions.Persist)
	// failed or panicked after the key was rotated (or, for MigrateToREST,
	// reused). The key is in Rotation.Key or Migration.Key; Error.Err holds
	// Persist's error (a *PanicError after a panic).
	ErrPersist = errors.New("ecgrid: persisting the new key failed")
	// ErrVerify is the kind of the error RotateAPIKey or MigrateToREST
	// returns when WhoAmI authenticated by the key (new, or reused by
	// MigrateToREST) failed or answered another user. The key is in
	// Rotation.Key or Migration.Key; Error.Verify holds WhoAmI's failure, if
	// it failed.
	ErrVerify = errors.New("ecgrid: verifying the new key failed")

	// ErrOutcomeUnknown is matched, beside the kind, by every failure after
	// which the call may have been processed: for GenerateAPIKey, the key
	// may have been rotated and the old key may no longer work. Recover by
	// reading the current key with GetAPIKey using a credential that still
	// works and may read it (a NetworkAdmin's); RotateAPIKey does it for
	// you. Every other failure of GenerateAPIKey left the old key valid.
	ErrOutcomeUnknown = errors.New("ecgrid: outcome unknown")
)

// Outcome says what a failed call may have changed on the server.
type Outcome int

const (
	// OutcomeNotApplied means the server certainly did not act on the
	// request: there is proof that it never arrived, or the service refused
	// it. After a failed GenerateAPIKey the old key is still valid. Every
	// failure of GetAPIKey and WhoAmI has this outcome: reading changes
	// nothing.
	OutcomeNotApplied Outcome = iota
	// OutcomeUnknown means the request may have been processed: after a
	// failed GenerateAPIKey the old key may no longer work.
	OutcomeUnknown
	// OutcomeApplied means the server did act: RotateAPIKey or MigrateToREST
	// rotated the key, then one of its later steps (ErrPersist, ErrVerify)
	// failed.
	OutcomeApplied
)

// String returns "not applied", "unknown" or "applied".
func (o Outcome) String() string {
	switch o {
	case OutcomeUnknown:
		return "unknown"
	case OutcomeApplied:
		return "applied"
	}
	return "not applied"
}

// Error is the error every call of this package returns, on both
// transports. Get it with errors.As to read the HTTP status, the service's
// error code and message, the transport that answered, the number of
// attempts and the outcome. Its text, and every encoding of it, never
// contains a key, session ID, token or password; text from the service is
// escaped, so it can't forge lines or terminal sequences.
//
// errors.Is(err, K) is true for the error's Kind K only, and for
// ErrOutcomeUnknown when Outcome is OutcomeUnknown. Fallback, Recovery and
// Verify hold earlier failures for reading; errors.Is does not look into
// them, so one error never matches two kinds.
type Error struct {
	// Op is the operation: "GenerateAPIKey", "GetAPIKey", "Login",
	// "Refresh", "Logout", "WhoAmI", "RotateAPIKey" or "MigrateToREST".
	Op string
	// Transport is the transport that answered last.
	Transport Transport
	// UserID is the user the call was about; 0 for session operations.
	UserID int
	// StatusCode is the HTTP status; 0 when no answer was received.
	StatusCode int
	// Code is the service's error code: the REST errorCode, or the SOAP
	// ECGridOSSOAPErrorCode (a name or a number).
	Code string
	// FaultCode is the SOAP fault code without its prefix, such as Client,
	// Server, Sender or Receiver.
	FaultCode string
	// Message is the service's message (escaped, secrets removed) or a
	// description of what went wrong.
	Message string
	// Kind is one of the kinds above.
	Kind error
	// Outcome says whether the server may have acted on the call.
	Outcome Outcome
	// Attempts is how many requests the call made, the first included,
	// counting those of a login it needed (WithLogin).
	Attempts int
	// RetryAfter is the delay the service asked for with 429 or 503 (a value
	// too large to read counts as 24 hours).
	RetryAfter time.Duration
	// Err is the underlying cause, if any: a network or context error, or
	// the error of a Persist, MigrateOptions.Confirm or CredentialsProvider.
	// Unwrap returns it.
	Err error
	// Fallback is the REST failure, when the call then fell back to SOAP.
	Fallback *Error
	// Recovery is the failure of the GetAPIKey read RotateAPIKey (or
	// MigrateToREST) made to settle an unknown outcome.
	Recovery *Error
	// Verify is the failure of the WhoAmI that RotateAPIKey or MigrateToREST
	// made with the key to verify it (Kind ErrVerify).
	Verify *Error

	serverText bool // Message is the service's text: quote it
	// secret is a key Err's text may hold (Persist's error), to redact.
	// Behind a pointer: fmt prints the fields of a value given a verb it
	// does not take (%w outside Errorf) by reflection, and shows a pointer
	// inside a value as an address.
	secret *string
}

// Error describes the failure, the outcome and what to do, in one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ecgrid: ")
	e.describe(&b)
	if s := e.advice(); s != "" {
		b.WriteString("; ")
		b.WriteString(s)
	}
	if e.Recovery != nil {
		b.WriteString("; the recovery read failed: ")
		e.Recovery.describe(&b)
	}
	if e.Verify != nil {
		b.WriteString("; the verification read failed: ")
		e.Verify.describe(&b)
	}
	if e.Fallback != nil {
		b.WriteString("; before the fallback to SOAP: ")
		e.Fallback.describe(&b)
	}
	return b.String()
}

// describe writes what failed, without advice.
func (e *Error) describe(b *strings.Builder) {
	b.WriteString(e.Op)
	if e.Transport != "" {
		b.WriteString(" over ")
		b.WriteString(string(e.Transport))
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
		b.WriteString(describeShort(e))
	}
	if e.Err != nil {
		b.WriteString(": ")
		text := e.Err.Error()
		if e.secret != nil {
			text = wire.Redact(text, *e.secret)
		}
		b.WriteString(wire.Escape(text))
	}
	if e.RetryAfter > 0 {
		b.WriteString("; retry after ")
		b.WriteString(e.RetryAfter.String())
	}
	if e.Attempts > 1 {
		b.WriteString("; gave up after ")
		b.WriteString(strconv.Itoa(e.Attempts))
		b.WriteString(" attempts")
	}
}

// advice says what the outcome means for the caller.
func (e *Error) advice() string {
	switch {
	case e.Outcome == OutcomeApplied && e.Op == opMigrate:
		return "the key was rotated: the new key is in Migration.Key and the old key no longer works"
	case e.Outcome == OutcomeApplied:
		return "the key was rotated: the new key is in Rotation.Key and the old key no longer works"
	case e.Op == opGenerate && e.Outcome == OutcomeUnknown:
		return "the outcome is unknown: the key may have been rotated, so the old key may no longer work; " +
			"read the current key with GetAPIKey using a credential that still works and may read it (a NetworkAdmin's)"
	case e.Op == opGenerate:
		return "the key was not rotated: the old key still works"
	case e.Outcome == OutcomeUnknown:
		return "the outcome is unknown: the service may have processed the call"
	}
	return ""
}

func kindLabel(k error) string {
	if k == nil {
		return "error"
	}
	return strings.TrimPrefix(k.Error(), "ecgrid: ")
}

// Is reports whether target is the error's kind, or ErrOutcomeUnknown when
// the outcome is unknown.
func (e *Error) Is(target error) bool {
	if target == nil {
		return false
	}
	return target == e.Kind || target == ErrOutcomeUnknown && e.Outcome == OutcomeUnknown
}

// Unwrap returns the underlying cause (Err). It never matches a kind: a
// cause holding an *Error (a Persist, Confirm or CredentialsProvider that
// called this package) is wrapped so that errors.Is and errors.As don't
// find that error.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatusCode returns the HTTP status of the answer, or 0.
func (e *Error) HTTPStatusCode() int { return e.StatusCode }

// ErrorCode returns the service's error code (REST errorCode or SOAP
// ECGridOSSOAPErrorCode), or "".
func (e *Error) ErrorCode() string { return e.Code }

// Format prints Error for every verb, %#v included, so that no
// formatting shows more than the text.
func (e *Error) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.Error())) }

func (e *Error) show() wire.Show {
	if e == nil {
		return wire.Show{Type: "ecgrid.Error"}
	}
	return wire.Show{Type: "ecgrid.Error", Fields: []wire.Field{
		{Name: "Op", Value: e.Op}, {Name: "Transport", Value: string(e.Transport)}, {Name: "UserID", Value: e.UserID},
		{Name: "StatusCode", Value: e.StatusCode}, {Name: "Code", Value: e.Code}, {Name: "FaultCode", Value: e.FaultCode},
		{Name: "Kind", Value: kindLabel(e.Kind)}, {Name: "Outcome", Value: e.Outcome.String()},
		{Name: "Attempts", Value: e.Attempts}, {Name: "RetryAfter", Value: e.RetryAfter.String()},
		{Name: "Error", Value: e.Error()}}}
}

// MarshalJSON encodes the error's fields and text; Err and the earlier
// failures appear only through the text, so no encoding shows more.
func (e *Error) MarshalJSON() ([]byte, error) { return e.show().JSON() }

// MarshalXML encodes the error like MarshalJSON.
func (e *Error) MarshalXML(enc *xml.Encoder, start xml.StartElement) error {
	return e.show().XML(enc, start)
}

// LogValue logs the error like MarshalJSON.
func (e *Error) LogValue() slog.Value { return e.show().LogValue() }

// PanicError is the cause (Error.Err) of an ErrPersist error when
// RotateOptions.Persist panicked. Its text, and every encoding of it, shows
// the panic value with the new key redacted.
type PanicError struct {
	// value is behind a pointer: fmt prints the fields of a value given a
	// verb it does not take (%w outside Errorf) by reflection, and shows a
	// pointer inside a value as an address.
	value *any
	text  string
}

// Error describes the panic, with the new key redacted.
func (p PanicError) Error() string { return "Persist panicked: " + p.text }

// Value returns the value Persist panicked with. It may hold the new key:
// don't log it.
func (p PanicError) Value() any {
	if p.value == nil {
		return nil
	}
	return *p.value
}

// Format prints Error for every verb.
func (p PanicError) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(p.Error())) }

// MarshalJSON encodes the error's text, with the new key redacted.
func (p PanicError) MarshalJSON() ([]byte, error) { return json.Marshal(p.Error()) }

// MarshalXML encodes the error's text, with the new key redacted.
func (p PanicError) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(p.Error(), start)
}

// LogValue logs the error's text, with the new key redacted.
func (p PanicError) LogValue() slog.Value { return slog.StringValue(p.Error()) }

// cause returns err for Error.Err. An error whose chain holds an *Error (a
// Persist, Confirm or CredentialsProvider that called this package) is
// wrapped so that errors.Is finds neither that error's kind nor
// ErrOutcomeUnknown in it: one error, one kind.
func cause(err error) error {
	var e *Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	return foreignError{err}
}

// foreignError hides the kinds of the *Error in err's chain from errors.Is
// and errors.As; every other target of errors.Is is looked for in err.
type foreignError struct{ err error }

func (f foreignError) Error() string { return f.err.Error() }

func (f foreignError) Is(target error) bool {
	switch target {
	case ErrInvalidInput, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited, ErrUnavailable,
		ErrServer, ErrBadResponse, ErrRedirect, ErrPersist, ErrVerify, ErrOutcomeUnknown:
		return false
	}
	return errors.Is(f.err, target)
}
