package ecgrid

import "github.com/ecgridkit/ecgrid/internal/core"

// Error is the error every call of Users returns, on both transports. Get it
// with errors.As to read the HTTP status, the service's error code and
// message, the transport that answered, the number of attempts and the
// outcome. Its text never contains a key, session ID or token.
//
// Its fields:
//
//	Op         "GenerateAPIKey" or "GetAPIKey"
//	Transport  "rest" or "soap": the transport that answered last
//	UserID     the user the call was about
//	StatusCode HTTP status, 0 when no answer was received
//	Code       REST errorCode, or SOAP ECGridOSSOAPErrorCode (a name or a number)
//	FaultCode  SOAP fault code without prefix: Client, Server, Sender or Receiver
//	Message    the service's message (secrets removed) or a description
//	Kind       one of the Err* kinds below
//	Outcome    OutcomeNotApplied or OutcomeUnknown
//	Attempts   how many attempts were made
//	RetryAfter the delay the service asked for with 429 or 503
//	Err        the underlying cause (a network or context error), if any
//	Fallback   the REST failure, when the call then fell back to SOAP
//
// errors.Is(err, K) is true for the error's Kind K, and for
// ErrOutcomeUnknown when Outcome is OutcomeUnknown.
type Error = core.Error

// Outcome says what a failed call may have changed on the server.
type Outcome = core.Outcome

const (
	// OutcomeNotApplied means the server certainly did not act on the
	// request: after a failed GenerateAPIKey the old key is still valid.
	// Every failure of GetAPIKey has this outcome: reading changes nothing.
	OutcomeNotApplied = core.OutcomeNotApplied
	// OutcomeUnknown means the request may have been processed: after a
	// failed GenerateAPIKey the old key may no longer work. Recover by reading
	// the current key with GetAPIKey, using a credential that still works.
	OutcomeUnknown = core.OutcomeUnknown
)

// The kinds of failure, for errors.Is. Each *Error has exactly one kind; the
// same failure has the same kind on REST and on SOAP.
var (
	// ErrInvalidInput: the request was refused as malformed, by this library
	// before anything was sent (a user ID out of range, an unusable
	// credential) or by the service (HTTP 400, InvalidParameter,
	// DuplicateObject, a SOAP Client fault without a known code).
	ErrInvalidInput = core.ErrInvalidInput
	// ErrUnauthorized: the credential is missing, unknown, expired or revoked
	// (HTTP 401 InvalidAPIKey or InvalidSession; SOAP Authentication).
	ErrUnauthorized = core.ErrUnauthorized
	// ErrForbidden: the caller's AuthLevel is too low (HTTP 403
	// AccessDenied; SOAP Authorization).
	ErrForbidden = core.ErrForbidden
	// ErrNotFound: no such user (HTTP 404 ObjectNotFound; SOAP
	// ObjectNotFound). A 404 without an ECGrid envelope (Code empty) means
	// the endpoint itself does not exist.
	ErrNotFound = core.ErrNotFound
	// ErrRateLimited: HTTP 429; Error.RetryAfter holds the requested delay.
	ErrRateLimited = core.ErrRateLimited
	// ErrUnavailable: the service could not be reached or did not answer
	// (connection refused, DNS or TLS failure, reset, timeout), or answered
	// 503 or 501. Error.Outcome says whether the request was sent.
	ErrUnavailable = core.ErrUnavailable
	// ErrServer: the service failed (HTTP 500, 502, 504, InternalError; a
	// SOAP Server or Receiver fault, SystemError). The outcome is unknown.
	ErrServer = core.ErrServer
	// ErrBadResponse: the answer could not be used: a success without a key,
	// a truncated, oversized or unparsable body, an HTML page with 200.
	// After a request that was processed, so the outcome is unknown.
	ErrBadResponse = core.ErrBadResponse
	// ErrRedirect: the service answered with a redirect. Redirects are never
	// followed, so the credential never travels to another host.
	ErrRedirect = core.ErrRedirect
	// ErrOutcomeUnknown is matched, in addition to the kind, by every failure
	// of GenerateAPIKey that may have rotated the key: a timeout or reset
	// after sending, HTTP 500, 502 or 504, a Server/Receiver fault, or a
	// success answer that can't be read or holds no key. The old key may no
	// longer work: read the current key with GetAPIKey using a credential
	// that still works. Every other failure leaves the old key valid.
	ErrOutcomeUnknown = core.ErrOutcomeUnknown
)
