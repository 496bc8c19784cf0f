package ecgrid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/ecgridkit/ecgrid/rest"
	"github.com/ecgridkit/ecgrid/soap"
)

// RetryPolicy says when and how long a Client waits before trying a call
// again. Zero fields take the values of DefaultRetryPolicy.
//
// Every operation retries HTTP 429 and 503 (honouring Retry-After, given in
// seconds or as an HTTP date) and connections that certainly never carried
// the request. Operations that rotate nothing (GetAPIKey, WhoAmI, Login,
// Refresh, Logout) also retry 500, 502, 504, timeouts and unreadable
// answers. GenerateAPIKey never retries a failure whose outcome is unknown
// unless RetryUnknownOutcome is set. Nothing retries 400, 401, 403, 404 or a
// redirect; a 401 caused by credentials that changed during the call (a
// rotation, SetCredentials, an expired session) is repeated once with the
// new credentials, outside this policy.
type RetryPolicy struct {
	// MaxAttempts is the most attempts per call, the first included; 1
	// disables retries. Default 3, at most 10.
	MaxAttempts int
	// MinBackoff is the first backoff; each retry doubles it, with jitter.
	// Default 200ms.
	MinBackoff time.Duration
	// MaxBackoff caps the exponential backoff. Default 5s.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; when the
	// service asks for more (or for more than can be read), the call fails at
	// once with ErrRateLimited or ErrUnavailable and Error.RetryAfter set.
	// Default 30s.
	MaxRetryAfter time.Duration
	// RetryUnknownOutcome lets GenerateAPIKey retry after a failure whose
	// outcome is unknown (a 500, a timeout after sending). Each retry may
	// rotate the key once more; the last successful rotation wins, and the
	// key returned is the current one. Leave it off when something else may
	// rotate the same user's key at the same time. If the call still fails,
	// its outcome stays unknown when any attempt's was.
	RetryUnknownOutcome bool
	// Backoff, if set, returns how long to wait before retry number attempt
	// (1 for the first retry); retryAfter is what the service asked for, or
	// 0. The default doubles MinBackoff up to MaxBackoff with jitter, and
	// waits at least retryAfter.
	Backoff func(attempt int, retryAfter time.Duration) time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless told otherwise:
// 3 attempts, backoff from 200ms to 5s, Retry-After honoured up to 30s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, MinBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, MaxRetryAfter: 30 * time.Second}
}

// WithRetryPolicy sets the retry policy. Zero fields take the defaults;
// MaxAttempts 1 turns retries off. Negative values are refused.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(s *settings) error {
		if p.MaxAttempts < 0 || p.MinBackoff < 0 || p.MaxBackoff < 0 || p.MaxRetryAfter < 0 {
			return errors.New("WithRetryPolicy: negative attempts or durations")
		}
		if p.MaxAttempts > 10 {
			return fmt.Errorf("WithRetryPolicy: MaxAttempts %d is more than 10", p.MaxAttempts)
		}
		d := DefaultRetryPolicy()
		if p.MaxAttempts == 0 {
			p.MaxAttempts = d.MaxAttempts
		}
		if p.MinBackoff == 0 {
			p.MinBackoff = d.MinBackoff
		}
		if p.MaxBackoff == 0 {
			p.MaxBackoff = d.MaxBackoff
		}
		if p.MaxRetryAfter == 0 {
			p.MaxRetryAfter = d.MaxRetryAfter
		}
		if p.MaxBackoff < p.MinBackoff {
			return errors.New("WithRetryPolicy: MaxBackoff is less than MinBackoff")
		}
		s.retry = p
		return nil
	}
}

// delay is the wait before retry number retry (1 for the first).
func (p *RetryPolicy) delay(retry int, retryAfter time.Duration) time.Duration {
	if p.Backoff != nil {
		return max(p.Backoff(retry, retryAfter), 0)
	}
	d := p.MinBackoff
	for i := 1; i < retry && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	d = d/2 + rand.N(d/2+1) // jitter in [d/2, d]
	return max(d, retryAfter)
}

// retryable says whether a failed attempt may be tried again.
func (p *RetryPolicy) retryable(op string, e *Error) bool {
	switch {
	case e.Kind == ErrRateLimited:
		return true
	case e.Kind == ErrUnavailable && e.StatusCode == http.StatusServiceUnavailable:
		return true
	case neverCarried(e):
		return true
	case e.Outcome == OutcomeUnknown:
		return op != opGenerate || p.RetryUnknownOutcome
	}
	return false
}

// Operation names, as in Error.Op.
const (
	opGenerate = "GenerateAPIKey"
	opGet      = "GetAPIKey"
	opLogin    = "Login"
	opRefresh  = "Refresh"
	opLogout   = "Logout"
	opWhoAmI   = "WhoAmI"
	opRotate   = "RotateAPIKey"
	opMigrate  = "MigrateToREST"
)

// request is one call: its inputs, the transport it is on, and its result.
type request struct {
	op        string
	userID    int
	transport Transport
	// For operations that take no credential from the client: Login and
	// Refresh send these; Logout sends given.
	login, password string
	token           string
	given           *Credentials
	// Results.
	key      string
	session  Session
	identity Identity
}

// reads reports whether the operation changes nothing on the server.
func (r *request) reads() bool { return r.op == opGet || r.op == opWhoAmI }

// portable reports whether the operation means the same on both transports,
// so that SOAP may stand in for REST. Login, Refresh and Logout are not: a
// session belongs to the transport that made it.
func (r *request) portable() bool { return r.op == opGenerate || r.op == opGet || r.op == opWhoAmI }

// do runs a call: input checks, then attempts on the primary transport,
// then, if allowed, on the SOAP fallback. It returns nil on success.
func (c *Client) do(ctx context.Context, r *request) *Error {
	r.transport = c.transport
	if ctx == nil {
		return &Error{Op: r.op, Transport: c.transport, Kind: ErrInvalidInput, Message: "nil context"}
	}
	if (r.op == opGenerate || r.op == opGet) && (r.userID <= 0 || r.userID > MaxUserID) {
		return &Error{Op: r.op, Transport: c.transport, Kind: ErrInvalidInput,
			Message: fmt.Sprintf("user ID %d is out of range: it must be between 1 and %d", r.userID, MaxUserID)}
	}
	if c.closed.Load() {
		return &Error{Op: r.op, Transport: c.transport, UserID: r.userID, Kind: ErrInvalidInput, Message: "the client is closed"}
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	e := c.attempts(ctx, r)
	if e == nil || !c.fallback || !r.portable() || !fallbackEligible(e) {
		return e
	}
	c.log(ctx, slog.LevelInfo, "ecgrid: REST certainly did not process the call; falling back to SOAP", r,
		slog.String("kind", kindLabel(e.Kind)), slog.Int("status", e.StatusCode))
	r.transport = SOAP
	fe := c.attempts(ctx, r)
	if fe != nil {
		fe.Fallback = e
		return fe
	}
	c.log(ctx, slog.LevelInfo, "ecgrid: answered by the SOAP fallback", r)
	return nil
}

// fallbackEligible reports whether a REST failure proves REST did not
// process the call and SOAP may be tried.
func fallbackEligible(e *Error) bool {
	if e.Outcome != OutcomeNotApplied {
		return false
	}
	switch e.StatusCode {
	case 0:
		// A connection that never carried the request; not the caller's
		// context ending, nor a credential that could not be had.
		return neverCarried(e)
	case http.StatusNotFound:
		return e.Kind == ErrNotFound && e.Code == "" // not an ECGrid envelope: the route does not exist
	case http.StatusNotImplemented, http.StatusServiceUnavailable:
		return e.Kind == ErrUnavailable
	}
	return false
}

// neverCarried reports whether the failure is a connection that certainly
// never carried the request, and not the caller's context ending (cancelled,
// or its deadline passed): the caller's doing, not the service's.
func neverCarried(e *Error) bool {
	return e.Kind == ErrUnavailable && e.StatusCode == 0 && e.Outcome == OutcomeNotApplied &&
		!errors.Is(e.Err, context.Canceled) && !errors.Is(e.Err, context.DeadlineExceeded)
}

// attempts runs r on its transport until it succeeds or the policy gives
// up. It returns nil on success.
func (c *Client) attempts(ctx context.Context, r *request) *Error {
	p := &c.retry
	unknown := false
	repeated := 0 // 1 once the call was repeated with renewed credentials
	for tries := 1; ; tries++ {
		sent := tries + repeated // requests made, this one included
		creds, e := c.credentials(ctx, r)
		if e != nil {
			// No credential to be had ends the call: a login has already
			// applied the retry policy, and repeating it here would retry
			// every retry. Attempts counts the requests made: this call's
			// and the login's.
			e.Attempts += sent - 1
			return finish(r, e, unknown)
		}
		err := c.attempt(ctx, r, creds)
		if err == nil {
			return nil
		}
		e = transportError(r, err)
		if e.Kind == ErrUnauthorized && repeated == 0 && r.given == nil && r.op != opLogin && r.op != opRefresh &&
			c.creds.renew(ctx, r.transport, creds) {
			// Refused because the credentials changed during the call (a
			// rotation, SetCredentials) or a session the client made
			// expired: a 401 is definite, so repeating is safe.
			repeated = 1
			tries--
			c.log(ctx, slog.LevelInfo, "ecgrid: credentials renewed after a refusal; repeating the call", r)
			continue
		}
		e.Attempts = sent
		unknown = unknown || e.Outcome == OutcomeUnknown
		retry := tries < p.MaxAttempts && p.retryable(r.op, e) && ctx.Err() == nil && e.RetryAfter <= p.MaxRetryAfter
		var wait time.Duration
		if retry {
			wait = p.delay(tries, e.RetryAfter)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				retry = false
			}
		}
		if !retry {
			return finish(r, e, unknown)
		}
		c.log(ctx, slog.LevelDebug, "ecgrid: retrying", r,
			slog.Int("attempt", tries), slog.String("kind", kindLabel(e.Kind)),
			slog.Int("status", e.StatusCode), slog.Duration("wait", wait))
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return finish(r, e, unknown)
		case <-timer.C:
		}
	}
}

// finish sets the outcome of the error a call returns: reading changes
// nothing; otherwise the outcome is unknown if any attempt's was.
func finish(r *request, e *Error, unknown bool) *Error {
	switch {
	case r.reads():
		e.Outcome = OutcomeNotApplied
	case unknown:
		e.Outcome = OutcomeUnknown
	}
	return e
}

// credentials returns the credentials of one attempt, or the error of the
// credential source that ends the call before anything is sent for it.
func (c *Client) credentials(ctx context.Context, r *request) (Credentials, *Error) {
	switch {
	case r.op == opLogin || r.op == opRefresh:
		return Credentials{}, nil
	case r.given != nil:
		return *r.given, nil
	}
	return c.creds.credentials(ctx, r)
}

// describeShort is an error's description without advice.
func describeShort(e *Error) string {
	if e.serverText {
		return `the service says "` + e.Message + `"`
	}
	return e.Message
}

// attempt makes one request of r with creds.
func (c *Client) attempt(ctx context.Context, r *request, creds Credentials) error {
	if r.transport == REST {
		auth := rest.Auth{APIKey: creds.APIKey, BearerToken: creds.BearerToken}
		var err error
		switch r.op {
		case opGenerate:
			r.key, err = c.rest.GenerateAPIKey(ctx, auth, r.userID)
		case opGet:
			r.key, err = c.rest.GetAPIKey(ctx, auth, r.userID)
		case opWhoAmI:
			var u rest.User
			u, err = c.rest.Me(ctx, auth)
			r.identity = identityFromREST(u)
		case opLogin:
			var t rest.Token
			t, err = c.rest.Login(ctx, r.login, r.password)
			r.session = sessionFromREST(t)
		case opRefresh:
			var t rest.Token
			t, err = c.rest.Refresh(ctx, r.token)
			r.session = sessionFromREST(t)
		case opLogout:
			err = c.rest.Logout(ctx, auth)
		}
		return err
	}
	session := creds.soapSession()
	var err error
	switch r.op {
	case opGenerate:
		r.key, err = c.soap.GenerateAPIKey(ctx, session, r.userID)
	case opGet:
		r.key, err = c.soap.UserGetAPIKey(ctx, session, r.userID)
	case opWhoAmI:
		var info soap.UserIDInfo
		info, err = c.soap.WhoAmI(ctx, session)
		r.identity = identityFromSOAP(info)
	case opLogin:
		var id string
		id, err = c.soap.Login(ctx, r.login, r.password)
		r.session = Session{Token: id, Transport: SOAP}
	case opLogout:
		_, err = c.soap.Logout(ctx, session)
	}
	return err
}

func (c *Client) log(ctx context.Context, level slog.Level, msg string, r *request, attrs ...slog.Attr) {
	if c.logger == nil || !c.logger.Enabled(ctx, level) {
		return
	}
	base := []slog.Attr{slog.String("op", r.op), slog.String("transport", string(r.transport))}
	if r.userID != 0 {
		base = append(base, slog.Int("user_id", r.userID))
	}
	c.logger.LogAttrs(ctx, level, msg, append(base, attrs...)...)
}
