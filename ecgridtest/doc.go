// Package ecgridtest provides an in-process fake ECGrid server for tests, examples
// and demos, in the spirit of net/http/httptest.
//
// A Server serves both ECGrid APIs for the two user API-key operations, on loopback
// (127.0.0.1, or [::1]) unless WithAddr says otherwise:
//
//	s := ecgridtest.NewServer(
//		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin}),
//		ecgridtest.WithUser(ecgridtest.User{ID: 2}),
//		ecgridtest.WithSession(1, "session-for-user-1"),
//	)
//	defer s.Close()
//	key1, _ := s.Key(1)
//
// The package shares no code with the SDK: it builds and parses JSON and XML itself,
// so it checks the SDK's wire format rather than mirroring it.
//
// # REST
//
// Under Server.URL:
//
//   - POST /v2/users/key-generate/{id} rotates user id's key and answers the new one;
//   - GET /v2/users/key/{id} answers user id's current key.
//
// The credential is the X-API-Key header (a user's current key) or
// "Authorization: Bearer <token>" (a user's current key or a seeded session ID);
// X-API-Key wins if both are present. Every answer of these two routes is the JSON
// envelope {"success":…,"data":…,"errorCode":…,"message":…} with Content-Type
// "application/json; charset=utf-8". Checks run in this order:
//
//   - 401 InvalidAPIKey: X-API-Key missing, unknown or revoked (also when no credential
//     at all is given); 401 InvalidSession: bearer token unknown;
//   - 400 InvalidParameter: id is not a positive integer fitting in 32 bits;
//   - 403 AccessDenied: the caller acts on another user and is below AuthLevelNetworkAdmin
//     (a user may always read and rotate its own key);
//   - 404 ObjectNotFound: no such user (so an admin asking for an unknown user gets
//     404, a plain user asking for another, unknown user gets 403).
//
// Unknown paths get 404 with a plain-text body (no envelope), a wrong method on a
// known route gets 405 with an Allow header and a plain-text body, and a request
// body larger than MaxRequestBody gets 413 in plain text.
//
// # SOAP
//
// Server.SOAPURL (URL + "/v4.1/prod/ECGridOS.asmx") accepts POSTed SOAP 1.1
// (Content-Type text/xml, SOAPAction header required: with quotes stripped, it must
// be the operation's namespace followed by its name, as ASMX derives it) and SOAP 1.2 (Content-Type application/soap+xml;
// the action parameter is optional but checked if present); other content types get
// 415. The envelope is read by local element names with any prefixes; its namespace
// must be the one of the version announced by the Content-Type and the operation
// element must be in one of "https://os.ecgrid.io/", "http://www.ecgridos.net/" or
// "http://ecgridos.net/". Operations are GenerateAPIKey and
// UserGetAPIKey, each with SessionID (a user's current key or a seeded session ID)
// and UserID (xs:int). Answers use the namespace set by WithNamespace (default
// DefaultNamespace) and the request's SOAP version. Faults come with HTTP 500, as
// from ASMX, with faultcode Client/Server (1.2: Sender/Receiver) and
// ECGridOSSOAPErrorCode Authentication (bad SessionID), Authorization (not allowed),
// ObjectNotFound, InvalidParameter (malformed envelope, wrong SOAPAction, unknown
// operation or namespace, bad UserID) or SystemError. GET <SOAPURL>?WSDL serves the
// WSDL of the two operations (the SDK's soap.WSDL(), a document the fake takes as
// it is: it shares no code with the SDK's SOAP transport), its addresses pointing
// at the fake; WithWSDL replaces it.
//
// # Keys and sessions
//
// Keys are random, lowercase and GUID-shaped. Rotating replaces a user's key at once:
// the old key is rejected by both APIs from then on. Sessions (WithSession,
// AddSession) are independent of keys and survive rotations.
//
// # Fault injection
//
// Server.Inject queues a Fault. Faults are kept in FIFO order and each request
// consumes at most one: the oldest that matches its transport and operation (a fault
// with Times n serves n requests; one with Times Forever serves every matching
// request until removed, by the function Inject returns or by ClearFaults). Only a well-formed call consumes a fault: REST, a
// known route with the right method and a body within the limit; SOAP, a parsable
// envelope of the right version naming a known operation, in a known namespace, with
// a matching action and an xs:int UserID. The fault is applied before the credential
// and the user ID are checked, so it is answered even to a bad credential. The real
// operation (with all its checks) is only run when the fault says so (Apply,
// DropAfterApply) or when the fault does not replace the answer (only Delay and/or
// RetryAfter set); with Apply, a failure of the real operation is silent and the
// fault's answer is sent regardless.
//
// A fault is honoured in this order: with Apply or DropAfterApply (but never with
// DropBeforeApply) the operation is performed; then Delay is slept (if the client
// goes away or the server closes meanwhile, the response is aborted); then Drop
// closes the connection; otherwise RetryAfter is added as a header
// and the first of these answers is sent: RedirectTo (307), HTML, Truncate, Oversize,
// EmptyKey, SuccessFalse, an error (any of Status, RESTCode, FaultCode or SOAPCode
// set), else the normal answer. A truncated answer carries the rotated key if the
// fault applied the operation successfully, otherwise a random key that nobody holds.
//
// # Inspection
//
// Server.Key, Server.Rotations, Server.Requests (a log with masked credentials and
// headers), Server.Accepted (TCP connections accepted) and Server.PendingFaults let
// tests check what clients did. Neither the log nor Server.String reveals a key or
// session ID.
//
// A Server is safe for concurrent use. Server.Close stops it and waits for all of its
// goroutines, including delayed handlers and hijacked connections.
package ecgridtest
