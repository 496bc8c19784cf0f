// Package ecgrid is a client for the ECGrid EDI network's user API keys and
// sessions, over either of ECGrid's two APIs: the REST API (JSON with an
// X-API-Key header) and the legacy ECGridOS SOAP API.
//
// # Transports
//
// One Users interface (GenerateAPIKey, GetAPIKey) and one Sessions interface
// (Login, Refresh, Logout, WhoAmI) have both transports behind them; the
// transport is an option:
//
//	c, err := ecgrid.New(ecgrid.WithAPIKey(key))                                   // REST
//	c, err := ecgrid.New(ecgrid.WithAPIKey(key), ecgrid.WithTransport(ecgrid.SOAP)) // SOAP
//	key, err := c.Users().GenerateAPIKey(ctx, userID)
//
// An integration that authenticates with an API key and uses the vendor's
// default endpoints moves from SOAP to REST by changing WithTransport alone.
// A SOAP session ID does not work on REST; a non-default endpoint needs
// WithRESTURL; and after a lost answer, a SOAP session (which survives the
// rotation) can read the key back, where the rotated key itself cannot.
// Client.MigrateToREST (and the CLI's "ecgrid migrate") does the whole move,
// from a SOAP login to a REST key that REST accepts. WithSOAPFallback keeps
// SOAP as a fallback during a move: a call moves to SOAP only when REST
// certainly did not process it.
//
// Packages rest and soap are the single-attempt transports underneath, with
// public APIs of their own for programs that want the raw calls.
//
// # Credentials
//
// An API key (WithAPIKey) works on both transports: as X-API-Key on REST and
// as SessionID on SOAP. A SOAP session ID (WithSessionID) works on SOAP only,
// a REST bearer token (WithBearerToken) on REST only. WithLogin takes a login
// and a password and logs in, renews and logs out by itself. Credentials can
// be swapped at run time with Client.SetCredentials, or supplied per request
// by a CredentialsProvider.
//
// No error, log record, or encoding (fmt, encoding/json, encoding/xml,
// log/slog) of this package's types ever contains a key, session ID, token or
// password; text the service sends is shown escaped; and the client never
// follows a redirect, so credentials never travel to another host.
//
// # Errors
//
// Every failure is an *Error that matches exactly one kind with errors.Is:
// ErrInvalidInput, ErrUnauthorized, ErrForbidden, ErrNotFound,
// ErrRateLimited, ErrUnavailable, ErrServer, ErrBadResponse, ErrRedirect, and,
// for RotateAPIKey's later steps, ErrPersist and ErrVerify. The same failure
// has the same kind on REST and SOAP.
//
// GenerateAPIKey invalidates the user's previous key at once. A failed call
// either certainly left the old key valid — there is proof that the request
// never arrived, or the service refused it — or matches ErrOutcomeUnknown: the
// request may have been processed, and the caller must read the current key
// with GetAPIKey, using a credential that still works and may read it.
// RotateAPIKey does that recovery, and stores and switches to the new key,
// reporting a rotation only when it is proven.
//
// # Retries
//
// By default a call is attempted up to 3 times: 429 and 503 (honouring
// Retry-After) and connections that certainly never carried the request are
// retried for every operation; reads and session calls also retry server
// errors and timeouts; GenerateAPIKey never repeats a request that may have
// been processed unless RetryPolicy.RetryUnknownOutcome says so. A 401 caused
// by credentials that changed during the call is repeated once with the new
// ones. See RetryPolicy.
//
// # Testing
//
// Package ecgridtest is an in-process fake of both ECGrid APIs, with users,
// keys, sessions and fault injection, for testing code that uses this
// package.
package ecgrid
