package ecgrid

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/ecgridkit/ecgrid/internal/core"
)

// RotateOptions say what RotateAPIKey does around the key generation.
type RotateOptions struct {
	// Self says the rotated user is the one this client authenticates as
	// with its API key: on success the client switches to the new key
	// before RotateAPIKey returns, so the next call does not fail with 401.
	// It has no effect on a client whose credentials come from a
	// CredentialsProvider: update the provider in Persist instead.
	Self bool
	// Persist, if set, is called with the new key before anything else, to
	// store it (a secret manager, a config file). If it fails, RotateAPIKey
	// still returns the new key in Rotation.Key, with an error matching
	// ErrPersist: the old key no longer works, so the new one must not be
	// lost. Persist must not put the key in its error.
	Persist func(ctx context.Context, key string) error
	// Verify, if set, reads the key back with GetAPIKey authenticated by the
	// new key itself, proving the new key works.
	Verify bool
	// Recovery is a credential that still works if the rotation's outcome is
	// unknown and the rotated user's old key may be dead: typically a
	// NetworkAdmin's API key. Without it, recovery uses the client's own
	// credentials, which works when they are not the rotated key (or when
	// the rotation did not happen).
	Recovery *Credentials
}

// Rotation reports what RotateAPIKey did. Formatting it never shows the key.
type Rotation struct {
	// Key is the new API key; empty only when no new key is known.
	Key string
	// Persisted: Persist was called and succeeded.
	Persisted bool
	// Switched: the client now authenticates with Key.
	Switched bool
	// Verified: GetAPIKey with Key returned Key.
	Verified bool
	// Recovered: GenerateAPIKey's outcome was unknown, and the current key
	// was read back with GetAPIKey. Key is that key if it differs from the
	// old one; if it is the old key, the rotation did not happen and
	// RotateAPIKey returns the generation's error.
	Recovered bool
}

// Format prints which steps were done, never the key.
func (r Rotation) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "ecgrid.Rotation{Key:%s Persisted:%t Switched:%t Verified:%t Recovered:%t}",
		redacted(r.Key), r.Persisted, r.Switched, r.Verified, r.Recovered)
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// ErrPersist is matched by the error RotateAPIKey returns when the key was
// rotated but RotateOptions.Persist failed. The new key is in Rotation.Key.
var ErrPersist = errors.New("ecgrid: persisting the new key failed")

// ErrVerify is matched by the error RotateAPIKey returns when the new key
// was generated but reading it back with itself failed or gave another key.
var ErrVerify = errors.New("ecgrid: verifying the new key failed")

// rotateError wraps a step's failure after the key was rotated, keeping the
// new key out of its text.
type rotateError struct {
	kind   error
	userID int
	err    error
	key    string
}

func (e *rotateError) Error() string {
	msg := fmt.Sprintf("%s for user %d; the key was rotated and the new key is in Rotation.Key (the old key no longer works)",
		e.kind.Error(), e.userID)
	if e.err != nil {
		msg += ": " + core.Redact(e.err.Error(), e.key)
	}
	return msg
}

func (e *rotateError) Unwrap() []error { return []error{e.kind, e.err} }

// RotateAPIKey generates a new API key for userID and makes it safe to use:
// it calls opts.Persist with the new key, switches the client to it when
// opts.Self is set, and reads it back with itself when opts.Verify is set.
//
// If GenerateAPIKey fails with an unknown outcome, RotateAPIKey reads the
// current key with GetAPIKey (using opts.Recovery, or the client's own
// credentials) to find out: a key other than the old one means the rotation
// happened, and RotateAPIKey carries on with it as if the call had succeeded
// (Rotation.Recovered is set); if the current key is still the old one, it
// returns the generation's error with the outcome settled as not applied;
// if the recovery fails, both errors, joined.
//
// On failure after the rotation (Persist or Verify), the returned Rotation
// still holds the new key, with an error matching ErrPersist or ErrVerify.
func (c *Client) RotateAPIKey(ctx context.Context, userID int, opts RotateOptions) (Rotation, error) {
	var r Rotation
	if opts.Recovery != nil {
		if err := usable(*opts.Recovery, c.transport, false); err != nil {
			return r, core.NewError(core.OpGenerateAPIKey, string(c.transport), userID, ErrInvalidInput,
				"RotateOptions.Recovery: "+err.Error(), nil)
		}
	}
	var old Credentials
	if c.static != nil {
		old, _ = c.static.Credentials(ctx)
	}
	key, err := c.users.GenerateAPIKey(ctx, userID)
	if err != nil {
		if !errors.Is(err, ErrOutcomeUnknown) {
			return r, err
		}
		current, rerr := c.recover(ctx, userID, opts.Recovery)
		if rerr != nil {
			return r, errors.Join(err, fmt.Errorf("ecgrid: recovery with GetAPIKey failed: %w", rerr))
		}
		r.Recovered = true
		if old.APIKey != "" && subtle.ConstantTimeCompare([]byte(current), []byte(old.APIKey)) == 1 {
			// The old key is still the current one: nothing was rotated, and
			// the failure is now a definite one.
			var e *Error
			if errors.As(err, &e) {
				settled := *e
				settled.Outcome = OutcomeNotApplied
				return r, &settled
			}
			return r, err
		}
		// The current key differs from the old one, or the client holds no
		// API key to compare with: either way it is the key that works now.
		key = current
	}
	r.Key = key
	if opts.Persist != nil {
		if perr := opts.Persist(ctx, key); perr != nil {
			// The old key is dead: switch anyway so the client keeps working.
			r.Switched = c.switchTo(key, opts.Self, old)
			return r, &rotateError{kind: ErrPersist, userID: userID, err: perr, key: key}
		}
		r.Persisted = true
	}
	r.Switched = c.switchTo(key, opts.Self, old)
	if opts.Verify {
		v, err := c.withCredentials(Credentials{APIKey: key}).users.GetAPIKey(ctx, userID)
		if err != nil {
			return r, &rotateError{kind: ErrVerify, userID: userID, err: err, key: key}
		}
		if subtle.ConstantTimeCompare([]byte(v), []byte(key)) != 1 {
			return r, &rotateError{kind: ErrVerify, userID: userID, err: errors.New("GetAPIKey returned a different key"), key: key}
		}
		r.Verified = true
	}
	return r, nil
}

// switchTo makes the client authenticate with key when it rotated itself.
func (c *Client) switchTo(key string, self bool, old Credentials) bool {
	if !self || c.static == nil || old.APIKey == "" {
		return false
	}
	next := old
	next.APIKey = key
	c.static.Set(next)
	return true
}

// recover reads the current key of userID with the recovery credentials,
// or the client's own.
func (c *Client) recover(ctx context.Context, userID int, creds *Credentials) (string, error) {
	u := c.users
	if creds != nil {
		u = c.withCredentials(*creds).users
	}
	return u.GetAPIKey(ctx, userID)
}

// withCredentials returns a client like c that authenticates with creds.
func (c *Client) withCredentials(creds Credentials) *Client {
	d := &Client{transport: c.transport, timeout: c.timeout, retry: c.retry, logger: c.logger}
	d.static = core.NewStaticCredentials(creds)
	d.cfg = c.cfg
	d.cfg.Credentials = d.static
	d.primary, d.fallback = d.transports(d.cfg, c.fallback != nil)
	d.users = clientUsers{d}
	return d
}
