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
//   - 403 AccessDenied: the caller is below NetworkAdmin and reads a key, or rotates
//     another user's key. As the vendor's REST reference says, reading any key, one's
//     own included, needs NetworkAdmin or higher; WithSelfKeyRead lets a user read
//     its own. A user may always rotate its own key. SOAP UserGetAPIKey and
//     GenerateAPIKey follow the same rules (an Authorization fault);
//   - 404 ObjectNotFound: no such user (so an admin asking for an unknown user gets
//     404, a plain user asking for another, unknown user gets 403).
//
// Unknown paths get 404 with a plain-text body (no envelope), a wrong method on a
// known route gets 405 with an Allow header and a plain-text body, and a request
// body larger than MaxRequestBody gets 413 in plain text.
//
// # SOAP
//
// Server.SOAPURL (URL + "/v4.1/prod/ECGridOS.asmx") answers POSTed SOAP 1.1
// (Content-Type text/xml) and SOAP 1.2 (Content-Type application/soap+xml) as an
// ASMX service does. Like ASMX, it recognises exactly one operation namespace: the
// one set by WithNamespace (default DefaultNamespace). The operations are
// GenerateAPIKey and UserGetAPIKey, each with SessionID (a user's current key or a
// session ID) and UserID (xs:int). The envelope is read by local element names
// with any prefixes. A request is checked in this order:
//
//   - a Content-Type other than those two: HTTP 415 with an empty body;
//   - a body larger than MaxRequestBody: 413 in plain text;
//   - a body that is not well-formed XML: HTTP 400 with an empty body;
//   - a root element that is not Envelope: a Client fault "Server was unable to
//     read request. ---> Request format is invalid: Missing required
//     soap:Envelope element.";
//   - an Envelope not in the namespace of the version the Content-Type announces:
//     SOAP 1.1, a VersionMismatch fault "Possible SOAP version mismatch: Envelope
//     namespace <ns> was unexpected. Expecting <1.1 namespace>."; SOAP 1.2, HTTP
//     415 with an empty body (as ASMX answers a 1.1 envelope sent as
//     application/soap+xml);
//   - no Body in the envelope's namespace: a Client fault "Server was unable to
//     read request. ---> Request format is invalid: Missing required soap:Body
//     element.";
//   - the action. SOAP 1.1: the SOAPAction header, quotes stripped (a missing
//     header counts as empty), must be the namespace, a "/" unless the namespace
//     ends in one, and an operation's name, exactly; else a Client fault "Server
//     did not recognize the value of HTTP Header SOAPAction: <action>.". SOAP 1.2:
//     the Content-Type's action parameter, if present and not empty, likewise,
//     else a Sender fault "Unable to handle request. The action '<action>' was not
//     recognized."; without one, the operation is the one whose name is the local
//     name of the Body's first element, else a Sender fault "Unable to handle
//     request without a valid action parameter. Please supply a valid soap
//     action.";
//   - binding: as in ASMX, parameters are read only from the operation element in
//     the namespace ({namespace}GenerateAPIKey, say), from its children in the
//     namespace; other children are ignored. If the Body's first element is not
//     that element (another namespace, another name), nothing binds and the call
//     is answered as one without a SessionID: an Authentication fault;
//   - a bound UserID that is not an xs:int: a Client fault "Server was unable to
//     read request. ---> There is an error in XML document (<line>, <column>).
//     ---> Input string was not in a correct format.";
//   - then the operation's own checks, as on REST: Authentication (SessionID
//     missing, unknown or expired), InvalidParameter (UserID missing or not
//     positive), Authorization, ObjectNotFound.
//
// The faults of the checks before the operation's own have an empty detail; the
// operation's faults carry an ECGridOSSOAPErrorCode. Every fault comes with HTTP
// 500 (unless injected otherwise), Cache-Control "private", the envelope prefix
// "soap" in both versions and the endpoint's URL as faultactor (1.1) or Node (1.2):
//
//	1.1: <soap:Fault><faultcode>soap:Client</faultcode><faultstring>…</faultstring>
//	     <faultactor>…</faultactor><detail><ECGridOSSOAPErrorCode>…</ECGridOSSOAPErrorCode></detail></soap:Fault>
//	1.2: <soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code>
//	     <soap:Reason><soap:Text xml:lang="en">…</soap:Text></soap:Reason>
//	     <soap:Node>…</soap:Node><detail><ECGridOSSOAPErrorCode>…</ECGridOSSOAPErrorCode></detail></soap:Fault>
//
// (the detail is an unqualified, lower-case <detail>, and an empty one is
// <detail />). The fault code is Client (1.2 Sender) for the caller's mistakes
// and Server (Receiver) for the service's; ECGridOSSOAPErrorCode is
// Authentication, Authorization, ObjectNotFound, InvalidParameter or SystemError.
// A successful answer has HTTP 200, Content-Type "text/xml; charset=utf-8" (1.1)
// or "application/soap+xml; charset=utf-8" (1.2), Cache-Control "private,
// max-age=0" and <NameResponse xmlns="<namespace>"><NameResult>…</NameResult>
// </NameResponse> in a soap:Envelope.
//
// GET <SOAPURL>?WSDL serves the WSDL of the two key operations (the SDK's
// soap.WSDL(), a document the fake takes as it is: it shares no code with the
// SDK's SOAP transport), its addresses pointing at the fake; WithWSDL replaces
// it. Other GETs get 405.
//
// # Users, levels and keys
//
// A User has an ID, an AuthLevel (the service's levels, from AuthLevelGeneral up
// to AuthLevelRoot; the zero value is AuthLevelMailboxUser, also named
// AuthLevelUser), an API key, and optionally a Login and Password to log in with,
// an Email, a name, a NetworkID and a MailboxID. "NetworkAdmin or higher" means
// Root, TechOps, NetOps or NetworkAdmin.
//
// Keys are random, lowercase and GUID-shaped unless given. Rotating replaces a user's
// key at once: the old key is rejected by both APIs from then on. Sessions (WithSession,
// AddSession) are independent of keys and survive rotations.
//
// No encoding of the package's types reveals a secret: a User's APIKey and Password
// are masked by fmt (every verb), encoding/json, encoding/xml and log/slog; a Server
// prints as its String with every verb; the request log holds masked credentials.
//
// # Fault injection
//
// Server.Inject queues a Fault. Faults are kept in FIFO order and each request
// consumes at most one: the oldest that matches its transport and operation (a fault
// with Times n serves n requests; one with Times Forever serves every matching
// request until removed, by the function Inject returns or by ClearFaults). Only a well-formed call consumes a fault: REST, a
// known route with the right method and a body within the limit; SOAP, a request
// that passes the checks above up to the operation's own (so a call whose
// parameters bind to nothing does consume one). The fault is applied before the credential
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
// EmptyKey, SuccessFalse, an error (any of Status, RESTCode, FaultCode, SOAPCode or
// Unhandled set), else the normal answer. A truncated answer carries the rotated key if the
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
