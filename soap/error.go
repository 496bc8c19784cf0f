package soap

import (
	"strconv"
	"strings"
	"time"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// Error is a SOAP call that got no usable answer. It holds the protocol
// facts; package ecgrid turns them into a kind and an outcome. Text from the
// service is escaped (no control, separator or bidi characters survive) and
// has the call's session ID and password replaced by [redacted]; the error
// never holds a secret.
type Error struct {
	// Op is the operation: OpGenerateAPIKey, OpUserGetAPIKey, OpLogin, ….
	Op string
	// NotSent is true when there is proof that no byte of the request left
	// this process: the call was refused for its input, the context had
	// ended before it was sent, or the client never obtained a connection
	// (a failed dial, DNS lookup or TLS handshake). When false and
	// StatusCode is 0, the request may have reached the service.
	NotSent bool
	// StatusCode is the HTTP status of the answer; 0 when none was received.
	StatusCode int
	// Fault is true when the answer was a SOAP fault; FaultCode, ErrorCode
	// and Message come from it.
	Fault bool
	// FaultCode is the fault code as sent, such as "soap:Client" or
	// "soap:Receiver".
	FaultCode string
	// ErrorCode is the detail's ECGridOSSOAPErrorCode: a name such as
	// "Authentication", or a number.
	ErrorCode string
	// Message is the faultstring (SOAP 1.1) or the Reason's text (1.2).
	Message string
	// Problem says why the answer could not be used (not a SOAP envelope, no
	// result, a result and a fault at once, a redirect, …), what is wrong
	// with the input of a call refused for it, or that the request could
	// not be built; empty when the answer was a fault or no answer came.
	Problem string
	// RetryAfter is the delay the service asked for with Retry-After (429 or
	// 503), capped at 24 hours; 0 if none.
	RetryAfter time.Duration
	// Err is the underlying cause: a network or context error, a body read
	// error, the error that kept the request from being built, or
	// ErrInvalidInput.
	Err error
}

// Error describes the failure.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("soap: ")
	b.WriteString(e.Op)
	if e.StatusCode != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
	}
	if e.Fault {
		b.WriteString(": fault ")
		b.WriteString(e.FaultCode)
		if e.ErrorCode != "" {
			b.WriteString(" ")
			b.WriteString(e.ErrorCode)
		}
	}
	wire.WriteErrorTail(&b, e.Message, e.Problem, e.Err, e.StatusCode, e.NotSent)
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }
