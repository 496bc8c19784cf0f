package ecgrid

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ecgridkit/ecgrid/rest"
	"github.com/ecgridkit/ecgrid/soap"
)

// facts are what a transport reported about one failed attempt, in the
// vocabulary both transports share. classify turns them into a kind and an
// outcome: the one table behind "the same failure has the same kind on REST
// and on SOAP" (the README's error tables).
type facts struct {
	invalid   bool   // refused by the transport for its input, before sending
	notSent   bool   // proof that no byte of the request left this process
	status    int    // HTTP status; 0: no answer
	fault     bool   // a SOAP fault
	faultCode string // the fault code as sent
	code      string // REST errorCode (only in an error envelope) or ECGridOSSOAPErrorCode (only in a fault)
}

// classify is the table. When in doubt, the outcome is unknown: a failure
// counts as not applied only with proof that the request never arrived, or
// an answer that refused it.
func classify(f facts) (outcome Outcome, kind error) {
	switch {
	case f.invalid:
		return OutcomeNotApplied, ErrInvalidInput
	case f.status == 0:
		if f.notSent {
			return OutcomeNotApplied, ErrUnavailable
		}
		return OutcomeUnknown, ErrUnavailable
	case f.status < 200:
		return OutcomeUnknown, ErrBadResponse // a 1xx as the final answer
	case f.status >= 300 && f.status < 400:
		return OutcomeNotApplied, ErrRedirect
	case f.status == http.StatusTooManyRequests:
		return OutcomeNotApplied, ErrRateLimited // whatever the body says
	case f.status == http.StatusServiceUnavailable:
		return OutcomeNotApplied, ErrUnavailable
	case f.fault:
		k := kindForCode(f.code)
		if isClientFault(f.faultCode) && k != ErrServer {
			if k == nil {
				k = ErrInvalidInput
			}
			return OutcomeNotApplied, k
		}
		// Server, Receiver, or a code that is not exactly Client or Sender
		// ("soap:server", two codes, none): the service may have acted.
		return OutcomeUnknown, ErrServer
	}
	// A REST error envelope's code, if known, else the status.
	k := kindForCode(f.code)
	if k == nil {
		k = kindForStatus(f.status)
	}
	return statusOutcome(k, f.status), k
}

// kindForCode maps a service error code (REST errorCode or SOAP
// ECGridOSSOAPErrorCode name) to a kind, or nil when the code is unknown.
func kindForCode(code string) error {
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

// kindForStatus maps an HTTP status without a usable error code to a kind.
// classify has already handled 1xx, 3xx, 429 and 503.
func kindForStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusNotImplemented:
		return ErrUnavailable
	case status >= 400 && status < 500:
		return ErrInvalidInput
	case status >= 500:
		return ErrServer
	}
	return ErrBadResponse // 2xx without a usable answer
}

// statusOutcome is the outcome of an answer of that kind and status: a 5xx
// other than 501 and 503, a server error or an unusable answer may have
// been processed; an answer that refused the request was not.
func statusOutcome(kind error, status int) Outcome {
	if status/100 == 5 && status != http.StatusNotImplemented && status != http.StatusServiceUnavailable ||
		kind == ErrServer || kind == ErrBadResponse {
		return OutcomeUnknown
	}
	return OutcomeNotApplied
}

// isClientFault reports whether a SOAP fault code says the caller erred.
// Only one code whose local name is exactly Client or Sender (optionally
// refined, "Client.Auth") does; anything else — Server, Receiver, other
// cases, several codes, none — is not proof that the service did not act.
func isClientFault(code string) bool {
	code = strings.TrimSpace(code)
	if code == "" || strings.ContainsAny(code, " \t\r\n") {
		return false
	}
	// The local name without a dotted refinement: "soap:Client.Auth" gives "Client".
	name, _, _ := strings.Cut(localName(code), ".")
	return name == "Client" || name == "Sender"
}

// localName returns a fault code without its prefix, for Error.FaultCode.
func localName(code string) string {
	if strings.ContainsAny(code, " \t\r\n") {
		return code
	}
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		return code[i+1:]
	}
	return code
}

// transportError turns a transport's error into an *Error for the call r:
// facts through classify, and the fields copied. An error of any other type
// (which the transports never return) proves nothing, so its outcome is
// unknown.
func transportError(r *request, err error) *Error {
	e := &Error{Op: r.op, Transport: r.transport, UserID: r.userID}
	switch te := err.(type) {
	case *rest.Error:
		e.fill(facts{invalid: errors.Is(te.Err, rest.ErrInvalidInput), notSent: te.NotSent, status: te.StatusCode,
			code: te.ErrorCode}, te.RetryAfter, te.Message, te.Problem, te.Err)
	case *soap.Error:
		e.FaultCode = localName(te.FaultCode)
		e.fill(facts{invalid: errors.Is(te.Err, soap.ErrInvalidInput), notSent: te.NotSent, status: te.StatusCode,
			fault: te.Fault, faultCode: te.FaultCode, code: te.ErrorCode}, te.RetryAfter, te.Message, te.Problem, te.Err)
	default:
		e.Kind, e.Outcome = ErrServer, OutcomeUnknown
		e.Message = "the transport failed in an unexpected way"
		e.Err = err
	}
	return e
}

// fill sets what both transports report alike: the status, code and
// Retry-After; the service's message, or else the transport's problem; the
// cause, unless the transport refused its input; and the kind and outcome
// from f.
func (e *Error) fill(f facts, retryAfter time.Duration, message, problem string, cause error) {
	e.StatusCode, e.Code, e.RetryAfter = f.status, f.code, retryAfter
	e.Message, e.serverText = message, message != ""
	if problem != "" && e.Message == "" {
		e.Message = problem
	}
	if !f.invalid {
		e.Err = cause
	}
	e.Outcome, e.Kind = classify(f)
	if f.status == 0 && !f.invalid {
		if e.Outcome == OutcomeUnknown {
			e.Message = "no answer, and the request may have reached the service"
		} else {
			e.Message = "the request was not sent"
		}
	}
}
