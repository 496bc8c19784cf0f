package ecgrid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/ecgridkit/ecgrid/internal/core"
)

// RetryPolicy says when and how long a Client waits before trying a call
// again. Zero fields take the values of DefaultRetryPolicy.
//
// Both operations retry HTTP 429 and 503 (honouring Retry-After, given in
// seconds or as an HTTP date) and connections that failed before the request
// was sent. GetAPIKey, which changes nothing, also retries 500, 502, 504,
// timeouts and unreadable answers. GenerateAPIKey never retries a failure
// whose outcome is unknown unless RetryUnknownOutcome is set. Nothing
// retries 400, 401, 403, 404 or a redirect.
type RetryPolicy struct {
	// MaxAttempts is the most attempts per call, the first included; 1
	// disables retries. Default 3.
	MaxAttempts int
	// MinBackoff is the first backoff; each retry doubles it, with jitter.
	// Default 200ms.
	MinBackoff time.Duration
	// MaxBackoff caps the exponential backoff. Default 5s.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; when the
	// service asks for more, the call fails at once with ErrRateLimited or
	// ErrUnavailable and Error.RetryAfter set. Default 30s.
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
	case e.Kind == ErrUnavailable && e.StatusCode == 0 && e.Outcome == OutcomeNotApplied:
		return !errors.Is(e, context.Canceled) && !errors.Is(e, context.DeadlineExceeded)
	case e.Outcome == OutcomeUnknown:
		return op == core.OpGetAPIKey || p.RetryUnknownOutcome
	}
	return false
}

// call runs one operation: input checks, then attempts on the primary
// transport, then, if allowed, on the SOAP fallback.
func (c *Client) call(ctx context.Context, op string, userID int) (string, error) {
	if ctx == nil {
		return "", core.NewError(op, string(c.transport), userID, ErrInvalidInput, "nil context", nil)
	}
	if userID <= 0 || userID > MaxUserID {
		return "", core.NewError(op, string(c.transport), 0, ErrInvalidInput,
			fmt.Sprintf("user ID %d is out of range: it must be between 1 and %d", userID, MaxUserID), nil)
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	key, err := c.attempts(ctx, c.primary, string(c.transport), op, userID)
	if err == nil {
		return key, nil
	}
	if c.fallback == nil || !fallbackEligible(err) {
		return "", err
	}
	c.log(ctx, slog.LevelInfo, "ecgrid: REST certainly did not process the call; falling back to SOAP",
		op, userID, string(REST), slog.String("kind", kindName(err.Kind)), slog.Int("status", err.StatusCode))
	key, ferr := c.attempts(ctx, c.fallback, string(SOAP), op, userID)
	if ferr != nil {
		ferr.Fallback = err
		return "", ferr
	}
	c.log(ctx, slog.LevelInfo, "ecgrid: answered by the SOAP fallback", op, userID, string(SOAP))
	return key, nil
}

// fallbackEligible reports whether a REST failure proves REST did not
// process the call and SOAP may be tried.
func fallbackEligible(e *Error) bool {
	if e.Outcome != OutcomeNotApplied {
		return false
	}
	switch {
	case e.StatusCode == 0:
		return e.Kind == ErrUnavailable && !errors.Is(e, context.Canceled) && !errors.Is(e, context.DeadlineExceeded)
	case e.StatusCode == http.StatusNotFound:
		return e.Code == "" // not an ECGrid envelope: the route does not exist
	case e.StatusCode == http.StatusNotImplemented, e.StatusCode == http.StatusServiceUnavailable:
		return true
	}
	return false
}

// attempts runs op on t until it succeeds or the policy gives up. It returns
// *Error on failure (nil interface on success).
func (c *Client) attempts(ctx context.Context, t core.Users, transport, op string, userID int) (string, *Error) {
	p := &c.retry
	unknown := false
	for attempt := 1; ; attempt++ {
		var key string
		var err error
		if op == core.OpGenerateAPIKey {
			key, err = t.GenerateAPIKey(ctx, userID)
		} else {
			key, err = t.GetAPIKey(ctx, userID)
		}
		if err == nil {
			return key, nil
		}
		var e *Error
		if !errors.As(err, &e) {
			e = core.NewError(op, transport, userID, ErrServer, "unexpected failure", err)
			e.Outcome = OutcomeUnknown
		}
		e.Attempts = attempt
		unknown = unknown || e.Outcome == OutcomeUnknown
		retry := attempt < p.MaxAttempts && p.retryable(op, e) && ctx.Err() == nil &&
			(e.RetryAfter <= p.MaxRetryAfter)
		var wait time.Duration
		if retry {
			wait = p.delay(attempt, e.RetryAfter)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				retry = false
			}
		}
		if !retry {
			return "", finish(op, e, unknown)
		}
		c.log(ctx, slog.LevelDebug, "ecgrid: retrying", op, userID, transport,
			slog.Int("attempt", attempt), slog.String("kind", kindName(e.Kind)),
			slog.Int("status", e.StatusCode), slog.Duration("wait", wait))
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", finish(op, e, unknown)
		case <-timer.C:
		}
	}
}

// finish sets the outcome of the error a call returns: reading a key changes
// nothing; a rotation is unknown if any attempt's outcome was.
func finish(op string, e *Error, unknown bool) *Error {
	switch {
	case op == core.OpGetAPIKey:
		e.Outcome = OutcomeNotApplied
	case unknown:
		e.Outcome = OutcomeUnknown
	}
	return e
}

func (c *Client) log(ctx context.Context, level slog.Level, msg, op string, userID int, transport string, attrs ...slog.Attr) {
	if c.logger == nil || !c.logger.Enabled(ctx, level) {
		return
	}
	attrs = append([]slog.Attr{slog.String("op", op), slog.Int("user_id", userID), slog.String("transport", transport)}, attrs...)
	c.logger.LogAttrs(ctx, level, msg, attrs...)
}

func kindName(k error) string {
	if k == nil {
		return ""
	}
	return k.Error()
}
