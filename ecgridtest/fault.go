package ecgridtest

import "time"

// DropMode says whether and how a fault drops the connection.
type DropMode int

const (
	// DropNone answers normally (the default).
	DropNone DropMode = iota
	// DropBeforeApply hijacks and closes the TCP connection after reading the
	// request, without performing the operation (the key is not rotated), even if
	// Fault.Apply is set.
	DropBeforeApply
	// DropAfterApply performs the operation (rotates the key, logs in, …, if the
	// checks allow it), then hijacks and closes the connection without answering.
	DropAfterApply
)

// Fault is a misbehaviour queued with Server.Inject. It is consumed by the next
// matching well-formed API calls (see the package documentation for what that
// means and for the order in which the fields are honoured).
type Fault struct {
	// Times is how many matching calls the fault applies to: 0 means 1, and
	// Forever (or any negative value) means every matching call until the fault
	// is removed (by the function Inject returns, or by Server.ClearFaults).
	Times int
	// Transport is "", "rest" or "soap"; "" matches both.
	Transport string
	// Op is "" (matching every operation) or one operation: "GenerateAPIKey",
	// "GetAPIKey", "Login", "Logout", "Refresh", "WhoAmI" or "Session" (the Op*
	// constants).
	Op string
	// Apply performs the real operation (rotates the key, logs in or out, …,
	// subject to the normal checks) before answering with the fault. Default
	// false: the operation is not performed.
	Apply bool
	// Delay is slept before answering; the sleep ends early, and the response is
	// aborted, if the client goes away or the server closes. With Apply the
	// operation is performed before the delay.
	Delay time.Duration
	// Status is the HTTP status to answer with. REST: an envelope with
	// success:false. SOAP: a fault, with HTTP 500 unless Status is given.
	Status int
	// RESTCode is the REST errorCode in the envelope; default derived from Status.
	RESTCode string
	// Message is the REST message / SOAP faultstring; a default is used if empty.
	Message string
	// FaultCode is the SOAP fault code, "Client" or "Server" (SOAP 1.1 names; they
	// are mapped to "Sender"/"Receiver" for SOAP 1.2). Default derived from SOAPCode/Status.
	FaultCode string
	// SOAPCode is ECGridOSSOAPErrorCode in the fault detail: a name
	// ("Authentication") or a number ("5"), sent as given. Default derived from
	// RESTCode/Status.
	SOAPCode string
	// RetryAfter is the Retry-After header value, if any; it is added to whatever
	// answer the fault produces.
	RetryAfter string
	// HTML answers an HTML error page (Content-Type text/html) with Status (default 502).
	HTML bool
	// Drop hijacks and closes the connection instead of answering. Note that Go's
	// http.Transport silently resends an idempotent request (GET) that fails this
	// way on a reused connection, which then consumes another use of the fault.
	Drop DropMode
	// Truncate sends a valid success answer cut in half: the Content-Length of the
	// full body, half the body, then the connection is closed.
	Truncate bool
	// Oversize answers 200 with a well-formed-looking body of exactly this many
	// bytes: a success answer whose key (or token, or session ID) is huge, or, for
	// the operations without one, padded with white space; only spaces if too
	// small for that.
	Oversize int
	// EmptyKey answers a success envelope / SOAP result with an empty key (or token,
	// or session ID); for Logout, WhoAmI and Session, REST data is null, SOAP
	// LogoutResult is empty and WhoAmIResult is left out.
	EmptyKey bool
	// Unhandled answers as ASMX does to an exception it did not expect: SOAP, a
	// Server (1.2 Receiver) fault whose faultstring is "Server was unable to
	// process request. ---> " followed by Message, with an empty detail (no
	// ECGridOSSOAPErrorCode, even if SOAPCode is set); REST, HTTP 500 (or
	// Status) with errorCode InternalError (or RESTCode).
	Unhandled bool
	// SuccessFalse answers REST with HTTP 200, success:false and RESTCode (default
	// "InternalError"); SOAP with a fault body carried by HTTP 200.
	SuccessFalse bool
	// RedirectTo answers 307 with Location: RedirectTo + the original request URI.
	RedirectTo string
}

// isError reports whether the fault asks for an error answer.
func (f *Fault) isError() bool {
	return f.Status != 0 || f.RESTCode != "" || f.FaultCode != "" || f.SOAPCode != "" || f.Unhandled
}

// Forever, as Fault.Times, makes a fault apply to every matching call until it
// is removed.
const Forever = -1

type pendingFault struct {
	f       Fault
	left    int
	forever bool
}

// Inject queues a fault. Faults are kept in FIFO order; each API call consumes at
// most one: the oldest queued fault that matches its transport and operation (so
// a Forever fault hides the faults queued after it that it matches).
//
// It returns a function that removes this fault from the queue, whether or not
// uses are left; calling it again, or after the fault is used up, does nothing.
// Inject never fails.
func (s *Server) Inject(f Fault) (remove func()) {
	p := &pendingFault{f: f, left: max(f.Times, 1), forever: f.Times < 0}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, p)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, q := range s.faults {
			if q == p {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every queued fault, Forever faults included. It never fails.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults returns how many queued faults still have uses left (a Forever
// fault counts as one until it is removed).
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// takeFault consumes one use of the oldest fault matching transport and op.
func (s *Server) takeFault(transport, op string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.faults {
		if p.f.Transport != "" && p.f.Transport != transport {
			continue
		}
		if p.f.Op != "" && p.f.Op != op {
			continue
		}
		if !p.forever {
			p.left--
		}
		if !p.forever && p.left <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		f := p.f
		return &f
	}
	return nil
}
