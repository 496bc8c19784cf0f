package ecgrid

import (
	"context"
	"crypto/subtle"
	"encoding/xml"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// DefaultStepTimeout bounds each step RotateAPIKey takes after
// GenerateAPIKey returned, unless RotateOptions.StepTimeout says otherwise.
const DefaultStepTimeout = 30 * time.Second

// RotateOptions say what RotateAPIKey does around the key generation.
type RotateOptions struct {
	// Self says the rotated user is the one this client authenticates as.
	// If the client holds an API key, it switches to the new key as soon as
	// the rotation is known, before Persist is called; a call that was under
	// way with the old key and is refused with 401 is repeated once with the
	// new one. A client on a session (WithSessionID, WithBearerToken,
	// WithLogin) keeps it: sessions survive a rotation. With Self, userID
	// may be 0: RotateAPIKey then asks WhoAmI for the client's own user ID
	// (one more request). It has no effect on a client whose credentials
	// come from a CredentialsProvider: update the provider in Persist.
	Self bool
	// PreviousKey is the rotated user's key before the rotation, when the
	// caller knows it. With Self and an API key it is the client's own key.
	// Otherwise RotateAPIKey reads it with GetAPIKey before generating (one
	// more request, which needs a credential that may read the key: a
	// NetworkAdmin's). Without a previous key an unknown outcome can't be
	// settled.
	PreviousKey string
	// Persist, if set, is called with the new key to store it (a secret
	// manager, a config file). If it fails or panics, RotateAPIKey still
	// returns the new key in Rotation.Key, with an error of kind ErrPersist:
	// the old key no longer works, so the new one must not be lost. Persist
	// should not put the key in its error; the error's text redacts it.
	Persist func(ctx context.Context, key string) error
	// Verify, if set, checks that the new key works: WhoAmI authenticated
	// by the new key itself must answer the rotated user's ID.
	Verify bool
	// Recovery is a credential that still works, and may read the rotated
	// user's key, if the rotation's outcome is unknown: typically a
	// NetworkAdmin's API key. Without it, recovery uses the client's own
	// credentials, which works when they are not the rotated key (or the
	// rotation did not happen) and may read the key.
	Recovery *Credentials
	// StepTimeout bounds each step after GenerateAPIKey returned — the
	// recovery read, Persist, the verification — which run on a context
	// detached from ctx's cancellation, so that a deadline that ended the
	// generation does not stop them. Default DefaultStepTimeout.
	StepTimeout time.Duration
}

// Rotation reports what RotateAPIKey did. Every encoding of it (fmt,
// encoding/json, encoding/xml, log/slog) shows the steps, never the key.
type Rotation struct {
	// Key is the rotated user's key that works now: the new key, or, when an
	// unknown outcome could not be settled, the key the recovery read found
	// (which may still be the previous key: then Rotated is false). Empty
	// when no key is known.
	Key string
	// Rotated: Key is a new key, different from the previous key.
	Rotated bool
	// Persisted: Persist was called with Key and succeeded.
	Persisted bool
	// Switched: the client now authenticates with Key.
	Switched bool
	// Verified: WhoAmI with Key answered the rotated user.
	Verified bool
	// Recovered: GenerateAPIKey's outcome was unknown, and the current key
	// was read back with GetAPIKey.
	Recovered bool
}

func (r Rotation) show() wire.Show {
	return wire.Show{Type: "ecgrid.Rotation", Fields: []wire.Field{wire.Secret("Key", r.Key),
		{Name: "Rotated", Value: r.Rotated}, {Name: "Persisted", Value: r.Persisted}, {Name: "Switched", Value: r.Switched},
		{Name: "Verified", Value: r.Verified}, {Name: "Recovered", Value: r.Recovered}}}
}

// String shows the steps done, never the key.
func (r Rotation) String() string { return r.show().String() }

// Format prints String for every verb.
func (r Rotation) Format(f fmt.State, _ rune) { r.show().Write(f) }

// MarshalJSON encodes the Rotation with the key replaced by "[redacted]".
func (r Rotation) MarshalJSON() ([]byte, error) { return r.show().JSON() }

// MarshalXML encodes the Rotation with the key replaced by "[redacted]".
func (r Rotation) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return r.show().XML(e, start)
}

// LogValue logs the Rotation with the key replaced by "[redacted]".
func (r Rotation) LogValue() slog.Value { return r.show().LogValue() }

func (o RotateOptions) show() wire.Show {
	var rec any = "<nil>"
	if o.Recovery != nil {
		rec = o.Recovery.show().String()
	}
	return wire.Show{Type: "ecgrid.RotateOptions", Fields: []wire.Field{{Name: "Self", Value: o.Self},
		wire.Secret("PreviousKey", o.PreviousKey), {Name: "Persist", Value: o.Persist != nil},
		{Name: "Verify", Value: o.Verify}, {Name: "Recovery", Value: rec}, {Name: "StepTimeout", Value: o.StepTimeout}}}
}

// String shows the options, never a key or credential.
func (o RotateOptions) String() string { return o.show().String() }

// Format prints String for every verb.
func (o RotateOptions) Format(f fmt.State, _ rune) { o.show().Write(f) }

// MarshalJSON encodes the options with every secret replaced by
// "[redacted]".
func (o RotateOptions) MarshalJSON() ([]byte, error) { return o.show().JSON() }

// MarshalXML encodes the options with every secret replaced by
// "[redacted]".
func (o RotateOptions) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return o.show().XML(e, start)
}

// LogValue logs the options with every secret replaced by "[redacted]".
func (o RotateOptions) LogValue() slog.Value { return o.show().LogValue() }

// RotateAPIKey generates a new API key for userID and makes it safe to use.
// It reports a rotation only when it is proven: the key it returns in
// Rotation.Key differs from the user's previous key.
//
// In order: it learns the previous key (RotateOptions.PreviousKey, the
// client's own key with Self, or one GetAPIKey read); calls GenerateAPIKey;
// switches the client to the new key (Self); calls Persist; and verifies the
// new key (Verify).
//
// If GenerateAPIKey fails with an unknown outcome, RotateAPIKey reads the
// current key with GetAPIKey (with RotateOptions.Recovery, or the client's
// own credentials). A key other than the previous one proves the rotation:
// RotateAPIKey carries on with it as if the call had succeeded
// (Rotation.Recovered). If the read shows the previous key, the rotation has
// not happened yet, but the lost request may still land: the error stays
// ErrOutcomeUnknown, and Rotation.Key is the previous key, which works now.
// If the previous key is unknown, an unknown outcome is never settled. If
// the read fails, the error stays ErrOutcomeUnknown with Error.Recovery set.
//
// The recovery read, Persist and the verification run on a context detached
// from ctx's cancellation, each bounded by RotateOptions.StepTimeout.
//
// On failure after the rotation, the returned Rotation still holds the new
// key, with an error of kind ErrPersist or ErrVerify and outcome
// OutcomeApplied. Every error is an *Error.
func (c *Client) RotateAPIKey(ctx context.Context, userID int, opts RotateOptions) (Rotation, error) {
	return c.rotate(ctx, userID, opts, opRotate)
}

// rotate is RotateAPIKey for op, the caller's operation: opRotate, or
// opMigrate, which has already tried to read the previous key
// (opts.PreviousKey is what it found, or empty), so it is not read again.
// The errors of the rotation's own steps (Persist, Verify) carry op.
func (c *Client) rotate(ctx context.Context, userID int, opts RotateOptions, op string) (Rotation, error) {
	read := op == opMigrate
	options := "RotateOptions"
	if read {
		options = "MigrateOptions"
	}
	var r Rotation
	if e := c.checkRotate(ctx, userID, opts); e != nil {
		return r, e
	}
	if userID == 0 {
		id, err := c.Sessions().WhoAmI(ctx)
		if err != nil {
			return r, err
		}
		userID = id.UserID
	}
	// old is the client's credentials before the rotation, when the key
	// rotated is the API key it holds (Self); nil otherwise.
	var old *Credentials
	var switched func() // ends the announced rotation; set with old
	u := c              // the client the rotation's own calls go through
	prev := opts.PreviousKey
	if opts.Self && c.static != nil {
		if cur := c.static.p.Load(); cur.APIKey != "" {
			old = cur
			if prev == "" {
				prev = cur.APIKey
			}
			switched = c.static.rotation()
			defer switched()
			// The rotation's own calls don't wait for it: they go through a
			// client of their own with the same credentials.
			u = c.with(*cur)
		}
	}
	if prev == "" && !read {
		if k, err := u.Users().GetAPIKey(ctx, userID); err == nil {
			prev = k
		}
	}
	key, err := u.Users().GenerateAPIKey(ctx, userID)
	switch {
	case err != nil:
		ge := err.(*Error)
		if ge.Outcome != OutcomeUnknown {
			return r, ge
		}
		sctx, cancel := stepContext(ctx, opts.StepTimeout)
		current, rerr := u.recoverKey(sctx, userID, opts.Recovery)
		cancel()
		if rerr != nil {
			ge.Recovery = rerr.(*Error)
			return r, ge
		}
		r.Key, r.Recovered = current, true
		if prev == "" || same(current, prev) {
			// Not settled: the previous key works now (or we can't tell),
			// and the lost request may still land.
			return r, ge
		}
		key = current
	case prev != "" && same(key, prev):
		r.Key = key
		return r, &Error{Op: opGenerate, Transport: c.transport, UserID: userID, Kind: ErrBadResponse,
			Outcome: OutcomeUnknown, Message: "the service answered the previous key as the new one"}
	}
	r.Key, r.Rotated = key, true
	if old != nil {
		r.Switched = c.switchTo(key, old)
		switched() // calls refused meanwhile may now repeat with the new key
	}
	if opts.Persist != nil {
		sctx, cancel := stepContext(ctx, opts.StepTimeout)
		perr := persist(sctx, opts.Persist, key)
		cancel()
		if perr != nil {
			return r, &Error{Op: op, Transport: c.transport, UserID: userID, Kind: ErrPersist,
				Outcome: OutcomeApplied, Message: options + ".Persist failed", Err: cause(perr), secret: &key}
		}
		r.Persisted = true
	}
	if opts.Verify {
		sctx, cancel := stepContext(ctx, opts.StepTimeout)
		id, verr := c.with(Credentials{APIKey: key}).Sessions().WhoAmI(sctx)
		cancel()
		switch {
		case verr != nil:
			return r, &Error{Op: op, Transport: c.transport, UserID: userID, Kind: ErrVerify,
				Outcome: OutcomeApplied, Message: "WhoAmI with the new key failed", Verify: verr.(*Error)}
		case id.UserID != userID:
			return r, &Error{Op: op, Transport: c.transport, UserID: userID, Kind: ErrVerify, Outcome: OutcomeApplied,
				Message: fmt.Sprintf("WhoAmI with the new key answered user %d", id.UserID)}
		}
		r.Verified = true
	}
	return r, nil
}

// checkRotate refuses bad arguments before anything is sent.
func (c *Client) checkRotate(ctx context.Context, userID int, opts RotateOptions) *Error {
	bad := func(msg string) *Error {
		return &Error{Op: opRotate, Transport: c.transport, UserID: userID, Kind: ErrInvalidInput, Message: msg}
	}
	switch {
	case ctx == nil:
		return bad("nil context")
	case userID == 0 && !opts.Self:
		return bad("user ID 0: give the user's ID, or set Self to rotate the client's own key")
	case userID < 0 || userID > MaxUserID:
		return bad(fmt.Sprintf("user ID %d is out of range: it must be between 1 and %d", userID, MaxUserID))
	case opts.StepTimeout < 0:
		return bad("RotateOptions.StepTimeout is negative")
	}
	if opts.PreviousKey != "" {
		if err := wire.CheckSecret("previous key", opts.PreviousKey); err != nil {
			return bad("RotateOptions.PreviousKey: " + err.Error())
		}
	}
	if opts.Recovery != nil {
		if err := usable(*opts.Recovery, c.transport, false); err != nil {
			return bad("RotateOptions.Recovery: " + err.Error())
		}
	}
	if c.closed.Load() {
		return bad("the client is closed")
	}
	return nil
}

// stepContext is the context of a step after the generation: ctx's values
// without its cancellation, bounded by the step timeout d (0: the default).
func stepContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d == 0 {
		d = DefaultStepTimeout
	}
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// persist calls p, turning a panic into a *PanicError.
func persist(ctx context.Context, p func(context.Context, string) error, key string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{value: &v, text: panicText(v, key)}
		}
	}()
	return p(ctx, key)
}

// panicText describes a panic value with the key redacted and escaped.
func panicText(v any, key string) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("a value of type %T", v)
		}
	}()
	return wire.Text(fmt.Sprint(v), 512, key)
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// switchTo makes the client authenticate with key in place of the API key
// of old, its credentials before it rotated that key, unless its credentials
// changed meanwhile.
func (c *Client) switchTo(key string, old *Credentials) bool {
	next := *old
	next.APIKey = key
	return c.static.p.CompareAndSwap(old, &next)
}

// recoverKey reads the current key of userID with the recovery
// credentials, or the client's own.
func (c *Client) recoverKey(ctx context.Context, userID int, creds *Credentials) (string, error) {
	d := c
	if creds != nil {
		d = c.with(*creds)
	}
	return d.Users().GetAPIKey(ctx, userID)
}

// with returns a client like c (same transports, policy and state) that
// authenticates with creds.
func (c *Client) with(creds Credentials) *Client {
	s := newStaticCreds(creds)
	return &Client{config: c.config, creds: s, static: s, closed: c.closed}
}
