// Package ecgrid is a client for the ECGrid EDI network's user API-key
// operations, over either of ECGrid's two APIs: the REST API (JSON with an
// X-API-Key header) and the legacy ECGridOS SOAP API.
//
// # Transports
//
// One Users interface has both transports behind it. The transport is an
// option, so moving an integration from SOAP to REST changes one option:
//
//	c, err := ecgrid.New(ecgrid.WithAPIKey(key))                                   // REST
//	c, err := ecgrid.New(ecgrid.WithAPIKey(key), ecgrid.WithTransport(ecgrid.SOAP)) // SOAP
//	key, err := c.Users().GenerateAPIKey(ctx, userID)
//
// WithSOAPFallback keeps SOAP as a fallback during a migration: a call moves
// to SOAP only when REST certainly did not process it.
//
// # Credentials
//
// An API key (WithAPIKey) works on both transports: as X-API-Key on REST and
// as SessionID on SOAP. A SOAP session ID (WithSessionID) works on SOAP only,
// a REST bearer token (WithBearerToken) on REST only. Credentials can be
// swapped at run time with Client.SetCredentials, or supplied per request by
// a CredentialsProvider. No error, log record or formatted value of this
// package's types ever contains a key, session ID or token, and the client
// never follows a redirect, so credentials never travel to another host.
//
// # Errors
//
// Every failure is an *Error whose kind is matched with errors.Is:
// ErrInvalidInput, ErrUnauthorized, ErrForbidden, ErrNotFound,
// ErrRateLimited, ErrUnavailable, ErrServer, ErrBadResponse or ErrRedirect.
// The same failure has the same kind on REST and SOAP.
//
// GenerateAPIKey invalidates the user's previous key at once. A failed call
// either certainly left the old key valid, or matches ErrOutcomeUnknown: the
// request may have been processed, and the caller must read the current key
// with GetAPIKey, using a credential that still works. RotateAPIKey does that
// recovery, and stores and switches to the new key, for you.
//
// # Retries
//
// By default a call is attempted up to 3 times: 429 and 503 (honouring
// Retry-After) and connections that never opened are retried for both
// operations; GetAPIKey also retries server errors and timeouts;
// GenerateAPIKey never repeats a request that may have been processed unless
// RetryPolicy.RetryUnknownOutcome says so. See RetryPolicy.
//
// # Testing
//
// Package ecgridtest is an in-process fake of both ECGrid APIs, with users,
// keys and fault injection, for testing code that uses this package.
package ecgrid
