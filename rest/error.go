package rest

import (
	"strconv"
	"strings"
	"time"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// Error is a REST call that got no usable answer. It holds the protocol
// facts; package ecgrid turns them into a kind and an outcome. Text from the
// service is escaped (no control, separator or bidi characters survive) and
// has the call's credential and password replaced by [redacted]; the error
// never holds a secret.
type Error struct {
	// Op is the operation: OpGenerateAPIKey, OpGetAPIKey, OpLogin, ….
	Op string
	// NotSent is true when there is proof that no byte of the request left
	// this process: the call was refused for its input, the context had
	// ended before it was sent, or the client never obtained a connection
	// (a failed dial, DNS lookup or TLS handshake). When false and
	// StatusCode is 0, the request may have reached the service.
	NotSent bool
	// StatusCode is the HTTP status of the answer; 0 when none was received.
	StatusCode int
	// Envelope is true when the answer was an ECGrid error envelope
	// ({"success": false, …}); ErrorCode and Message come from it.
	Envelope bool
	// ErrorCode is the envelope's errorCode, such as "InvalidAPIKey".
	ErrorCode string
	// Message is the envelope's message.
	Message string
	// Problem says why the answer could not be used (not an envelope, a
	// success without a key, unreadable, a redirect, …), or, for a call
	// refused for its input, what is wrong with the input; empty when the
	// answer was an error envelope or no answer came.
	Problem string
	// RetryAfter is the delay the service asked for with Retry-After (429 or
	// 503), capped at 24 hours; 0 if none.
	RetryAfter time.Duration
	// Err is the underlying cause: a network or context error, a body read
	// error, or ErrInvalidInput.
	Err error
}

// Error describes the failure.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("rest: ")
	b.WriteString(e.Op)
	if e.StatusCode != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
	}
	if e.ErrorCode != "" {
		b.WriteString(" ")
		b.WriteString(e.ErrorCode)
	}
	wire.WriteErrorTail(&b, e.Message, e.Problem, e.Err, e.StatusCode, e.NotSent)
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// invalid is the error for input refused before sending.
func invalid(op, msg string) *Error {
	return &Error{Op: op, NotSent: true, Problem: msg, Err: ErrInvalidInput}
}
