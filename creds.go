package ecgrid

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// credSource supplies the credentials of each attempt.
type credSource interface {
	// credentials returns the credentials to send for an attempt of r, on
	// r.transport, or the error that ends the call r before anything is
	// sent for it (its Op and UserID are r's).
	credentials(ctx context.Context, r *request) (Credentials, *Error)
	// renew is called once per call after refused (the credentials of an
	// attempt) got a 401. It reports whether other credentials are now to
	// be had, so that the call may be repeated with them.
	renew(ctx context.Context, t Transport, refused Credentials) bool
}

// staticCreds holds fixed credentials that SetCredentials and
// RotateAPIKey can swap. It is a CredentialsProvider too.
type staticCreds struct {
	p atomic.Pointer[Credentials]
	// rotating is closed when a rotation of the client's own key, under way,
	// has switched the client to the new key (or failed).
	rotating atomic.Pointer[chan struct{}]
}

// rotation announces a rotation of the client's own key: calls refused with
// 401 meanwhile wait for it before deciding whether to repeat. The function
// returned ends it; it may be called more than once.
func (s *staticCreds) rotation() (done func()) {
	ch := make(chan struct{})
	s.rotating.Store(&ch)
	var once sync.Once
	return func() {
		once.Do(func() {
			s.rotating.CompareAndSwap(&ch, nil)
			close(ch)
		})
	}
}

func newStaticCreds(c Credentials) *staticCreds {
	s := &staticCreds{}
	s.p.Store(&c)
	return s
}

func (s *staticCreds) get() Credentials  { return *s.p.Load() }
func (s *staticCreds) set(c Credentials) { s.p.Store(&c) }

// Credentials implements CredentialsProvider.
func (s *staticCreds) Credentials(context.Context) (Credentials, error) { return s.get(), nil }

func (s *staticCreds) credentials(context.Context, *request) (Credentials, *Error) {
	return s.get(), nil
}

func (s *staticCreds) renew(ctx context.Context, _ Transport, refused Credentials) bool {
	if ch := s.rotating.Load(); ch != nil && s.get() == refused {
		// The 401 may be the rotation's doing, answered before the client
		// heard of the new key: wait for the switch.
		select {
		case <-*ch:
		case <-ctx.Done():
		}
	}
	return s.get() != refused
}

// Format never shows the held secrets.
func (s *staticCreds) Format(f fmt.State, verb rune) { s.get().Format(f, verb) }

// providerCreds asks a CredentialsProvider.
type providerCreds struct{ p CredentialsProvider }

// credentials asks the provider, and checks what it gave: the client
// can't check it in New.
func (p providerCreds) credentials(ctx context.Context, r *request) (Credentials, *Error) {
	creds, err := p.p.Credentials(ctx)
	if err != nil {
		return Credentials{}, &Error{Op: r.op, Transport: r.transport, UserID: r.userID, Kind: ErrUnauthorized,
			Message: "the credentials provider failed", Err: cause(err)}
	}
	if err := usable(creds, r.transport, false); err != nil {
		return Credentials{}, &Error{Op: r.op, Transport: r.transport, UserID: r.userID, Kind: ErrInvalidInput,
			Message: "the credentials provider gave an unusable credential: " + err.Error()}
	}
	return creds, nil
}

func (p providerCreds) renew(ctx context.Context, _ Transport, refused Credentials) bool {
	c, err := p.p.Credentials(ctx)
	return err == nil && c != refused
}

// loginSource logs in with a login name and password when a call needs a
// credential (never in New), refreshes a REST token before it expires, logs
// in again when the service refuses a session it made, and logs out on
// Client.Close. Concurrent calls that need a login wait for one.
type loginSource struct {
	c               *Client
	login, password string
	mu              sync.Mutex // serialises logins and refreshes
	cur             atomic.Pointer[heldSession]
}

// heldSession is a session and when it was obtained.
type heldSession struct {
	s        Session
	obtained time.Time
}

// fresh reports whether the session may still be used at now, without a
// refresh: a REST token is refreshed a minute before its expiry, or a
// quarter of its lifetime before if that is shorter.
func (h *heldSession) fresh(now time.Time) bool {
	if h.s.ExpiresAt.IsZero() {
		return true // SOAP, or a token whose expiry was not given: renewed on refusal
	}
	margin := min(time.Minute, h.s.ExpiresAt.Sub(h.obtained)/4)
	return now.Before(h.s.ExpiresAt.Add(-margin))
}

func (l *loginSource) credentials(ctx context.Context, call *request) (Credentials, *Error) {
	t := call.transport
	if h := l.cur.Load(); h != nil && h.fresh(time.Now()) {
		return h.s.Credentials(), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.cur.Load()
	now := time.Now()
	if h != nil && h.fresh(now) {
		return h.s.Credentials(), nil
	}
	if h != nil && h.s.Transport == REST && now.Before(h.s.ExpiresAt) {
		r := request{op: opRefresh, token: h.s.Token, transport: t}
		if e := l.c.attempts(ctx, &r); e == nil {
			l.store(ctx, &r, "ecgrid: refreshed the session token")
			return r.session.Credentials(), nil
		}
		// The refresh failed: log in again below.
	}
	r := request{op: opLogin, login: l.login, password: l.password, transport: t}
	if le := l.c.attempts(ctx, &r); le != nil {
		// The call was not sent. Keep the login's kind, status, codes and
		// attempts, but not its outcome.
		e := *le
		e.Op, e.UserID, e.Outcome = call.op, call.userID, OutcomeNotApplied
		e.Message, e.serverText = "logging in failed: "+describeShort(le), false
		return Credentials{}, &e
	}
	l.store(ctx, &r, "ecgrid: logged in")
	return r.session.Credentials(), nil
}

func (l *loginSource) store(ctx context.Context, r *request, msg string) {
	l.cur.Store(&heldSession{s: r.session, obtained: time.Now()})
	l.c.log(ctx, slog.LevelInfo, msg, r, slog.Int("session_user_id", r.session.UserID))
}

// renew forgets the session that was refused, if it is still the current
// one, so that the next call logs in again.
func (l *loginSource) renew(_ context.Context, _ Transport, refused Credentials) bool {
	h := l.cur.Load()
	if h != nil && h.s.Credentials() == refused {
		l.cur.CompareAndSwap(h, nil)
	}
	return true
}

// logout ends the current session, if any; ended says there was one.
func (l *loginSource) logout(ctx context.Context) (ended bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.cur.Swap(nil)
	if h == nil {
		return false, nil
	}
	creds := h.s.Credentials()
	r := request{op: opLogout, given: &creds, transport: h.s.Transport}
	if e := l.c.attempts(ctx, &r); e != nil {
		return true, e
	}
	return true, nil
}
