// Package ecgridtest provides an in-process fake ECGrid server for tests, examples
// and demos, in the spirit of net/http/httptest.
//
// A Server serves both ECGrid APIs (REST JSON and ECGridOS SOAP 1.1/1.2, answered
// as an ASMX service answers) for the user API-key operations and for sessions, on
// loopback (127.0.0.1, or [::1]) unless WithAddr says otherwise:
//
//	s := ecgridtest.NewServer(
//		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin}),
//		ecgridtest.WithUser(ecgridtest.User{ID: 2, Login: "bob", Password: "secret"}),
//		ecgridtest.WithSession(1, "session-for-user-1"),
//	)
//	defer s.Close()
//	key1, _ := s.Key(1)
//
// The package shares no code with the SDK: it builds and parses JSON and XML itself,
// so it checks the SDK's wire format rather than mirroring it. Its only use of the
// SDK is the WSDL document it serves (soap.WSDL). Importing it starts nothing and
// has no init work of its own; the packages it imports initialize as usual, and
// they include the SDK's soap package (for the WSDL) and what soap imports.
//
// # Using it with the SDK
//
// A client of package github.com/ecgridkit/ecgrid talks to the fake when given its
// URLs. REST:
//
//	c, err := ecgrid.New(ecgrid.WithAPIKey(key), ecgrid.WithRESTURL(s.URL))
//
// SOAP 1.1 (add ecgrid.WithSOAPVersion(ecgrid.SOAP12) for SOAP 1.2):
//
//	c, err := ecgrid.New(ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithAPIKey(key), ecgrid.WithSOAPURL(s.SOAPURL))
//
// # Users, levels and keys
//
// A User has an ID, an AuthLevel (the service's levels, from AuthLevelGeneral up to
// AuthLevelRoot; the zero value is AuthLevelMailboxUser, also named AuthLevelUser),
// an API key, and optionally a Login and Password to log in with, an Email, a name,
// a NetworkID and a MailboxID. "NetworkAdmin or higher" means Root, TechOps, NetOps
// or NetworkAdmin.
//
// Keys are random, lowercase and GUID-shaped unless given. Rotating replaces a
// user's key at once: the old key is rejected by both APIs from then on. Who may do
// what, on both APIs:
//
//   - rotating one's own key: any user; rotating another user's key: NetworkAdmin or
//     higher;
//   - reading a key: NetworkAdmin or higher, one's own key included, as the vendor's
//     REST reference for GET /v2/users/key/{id} says (users get their own key by
//     generating a new one). WithSelfKeyRead lets any user read its own key.
//
// # Sessions
//
// A session is a SOAP session ID from Login, a REST token from login or refresh, or a
// session ID seeded with WithSession or AddSession. Each is accepted wherever a
// session is: as a SOAP SessionID and as a REST bearer token (not as X-API-Key). A
// user's current API key is accepted in their place too, and never expires.
// Sessions are independent of keys and survive rotations.
//
// Sessions expire (WithSessionTTL, default DefaultSessionTTL, 20 minutes): a REST
// token a TTL after it was issued, as its expiresAt says, however much it is used; a
// SOAP or seeded session after a TTL without use by either API. Logging out,
// refreshing a token (the old one stops working), Server.ExpireSession and
// Server.ExpireSessions end sessions at once. An ended session gets an
// Authentication fault (SOAP) or 401 InvalidSession (REST) on every operation.
// WithClock gives the server a clock a test can move instead of sleeping.
//
// A user logs in with its Login (matched case-insensitively) and Password (matched
// exactly); a user without both cannot log in. Server.Logins and Server.Logouts
// count the successful logins and the sessions ended by a logout; Server.Sessions
// counts a user's live sessions.
//
// # REST
//
// Under Server.URL, every answer of these routes is the JSON envelope
// {"success":…,"data":…,"errorCode":…,"message":…} with Content-Type
// "application/json; charset=utf-8" (data is null on errors):
//
//   - POST /v2/users/key-generate/{id} rotates user id's key; data is the new key;
//   - GET /v2/users/key/{id}: data is user id's current key;
//   - POST /v2/auth/login, body {"login": "…", "password": "…"}, no credential
//     header: data is {"token": "<JWT-shaped>", "expiresAt": "<RFC 3339 UTC>",
//     "userId": N}. A wrong login or password gets 401 InvalidSession (the vendor
//     does not document this code; it is the fake's choice); a body that is not a
//     JSON object with non-empty string members "login" and "password" (other
//     members are ignored) gets 400 InvalidParameter;
//   - POST /v2/auth/refresh, body {"token": "…"}, no credential header: data is a
//     new token, as from login, and the old one stops working (any live session
//     may be refreshed into a token). An unknown, expired or ended token gets 401
//     InvalidSession; a body without a non-empty string "token", 400
//     InvalidParameter;
//   - POST /v2/auth/logout, no body: ends the bearer token's session; data is true.
//     An X-API-Key caller (or a key sent as bearer token) has no session to end and
//     gets true too;
//   - GET /v2/users/me: data is {"userId", "login", "email", "firstName",
//     "lastName", "networkId", "mailboxId", "authLevel" (the level's name, such as
//     "NetworkAdmin"), "status" ("Active"), "created" (RFC 3339, when the user was
//     added)};
//   - POST /v2/auth/session: data is {"userId", "login", "networkId", "mailboxId",
//     "authLevel", "expiresAt"} for the caller's session; expiresAt is null for an
//     API key.
//
// Times are RFC 3339 in UTC, to the millisecond. Except for login and refresh, the
// credential is the X-API-Key header (a user's current key) or "Authorization:
// Bearer <token>" (a session, or a user's current key); X-API-Key wins if both are
// present. Checks run in this order:
//
//   - 401 InvalidAPIKey: X-API-Key missing, unknown or revoked (also when no
//     credential at all is given); 401 InvalidSession: bearer token unknown,
//     expired, logged out or refreshed away;
//   - 400 InvalidParameter: id is not a positive integer fitting in 32 bits;
//   - 403 AccessDenied: the caller may not read or rotate that key (see Users,
//     levels and keys);
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
// one set by WithNamespace (default DefaultNamespace). The operations are:
//
//   - GenerateAPIKey(SessionID, UserID) and UserGetAPIKey(SessionID, UserID): the
//     key, in GenerateAPIKeyResult / UserGetAPIKeyResult;
//   - Login(UserName, Password, SenderSolution, SenderVersion, SenderCompanyName,
//     SenderContact, SenderContactEmail): a new session ID in LoginResult (only
//     UserName and Password are read, so a two-argument Login works too); a wrong
//     login or password gets an Authentication fault;
//   - Logout(SessionID): ends the session; LogoutResult is true (also for an API
//     key, which has no session to end). An unknown or ended session gets an
//     Authentication fault, as on every operation;
//   - WhoAmI(SessionID): <WhoAmIResult><UserID>N</UserID><Login>…</Login>
//     <NetworkID>N</NetworkID><MailboxID>N</MailboxID><AuthLevel>NetworkAdmin
//     </AuthLevel></WhoAmIResult>.
//
// SessionID is a session or a user's current API key; UserID is an xs:int. The
// envelope is read by local element names with any prefixes. A request is checked
// in this order:
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
//     action.". Nothing is processed and no fault is consumed;
//   - binding: as in ASMX, parameters are read only from the operation element in
//     the namespace ({namespace}GenerateAPIKey, say), from its children in the
//     namespace; other children are ignored. If the Body's first element is not
//     that element (another namespace, another name), nothing binds and the call
//     is answered as one without a SessionID (or, for Login, without a UserName):
//     an Authentication fault;
//   - a bound UserID of a key operation that is not an xs:int: a Client fault
//     "Server was unable to read request. ---> There is an error in XML document
//     (<line>, <column>). ---> Input string was not in a correct format." (for a
//     number beyond 32 bits: "---> Value was either too large or too small for an
//     Int32.");
//   - then the operation's own checks, as on REST: Authentication (SessionID
//     missing, unknown or expired; wrong login), InvalidParameter (UserID missing
//     or not positive), Authorization, ObjectNotFound.
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
// <detail />). The fault code is Client (1.2 Sender) for the caller's mistakes and
// Server (Receiver) for the service's; ECGridOSSOAPErrorCode is Authentication,
// Authorization, ObjectNotFound, InvalidParameter or SystemError. A successful
// answer has HTTP 200, Content-Type "text/xml; charset=utf-8" (1.1) or
// "application/soap+xml; charset=utf-8" (1.2), Cache-Control "private, max-age=0"
// and <NameResponse xmlns="<namespace>"><NameResult>…</NameResult></NameResponse>
// in a soap:Envelope.
//
// GET <SOAPURL>?WSDL serves the WSDL of the two key operations (the SDK's
// soap.WSDL(), a document the fake takes as it is: it shares no code with the SDK's
// SOAP transport), its addresses pointing at the fake; WithWSDL replaces it. Other
// GETs get 405.
//
// # Fault injection
//
// Server.Inject queues a Fault and returns a function that removes it;
// Server.ClearFaults removes them all. Faults are kept in FIFO order and each request
// consumes at most one: the oldest that matches its transport and operation (Op
// names: GenerateAPIKey, GetAPIKey, Login, Logout, Refresh, WhoAmI, Session). A fault
// with Times n serves n requests; one with Times Forever serves every matching
// request until removed.
//
// Only a well-formed call consumes a fault: REST, a known route with the right
// method and a body within the limit; SOAP, a request that passes the checks above
// up to the operation's own (so a call whose parameters bind to nothing does consume
// one). The fault is applied before the credential, the body and the user ID are
// checked, so it is answered even to a bad credential. The real operation (with all
// its checks) is only run when the fault says so (Apply, DropAfterApply) or when the
// fault does not replace the answer (only Delay and/or RetryAfter set); with Apply,
// a failure of the real operation is silent and the fault's answer is sent
// regardless (an applied login counts in Logins even if its answer is an error).
//
// A fault is honoured in this order: with Apply or DropAfterApply (but never with
// DropBeforeApply) the operation is performed; then Delay is slept (if the client
// goes away or the server closes meanwhile, the response is aborted); then Drop
// closes the connection; otherwise RetryAfter is added as a header and the first of
// these answers is sent: RedirectTo (307), HTML, Truncate, Oversize, EmptyKey,
// SuccessFalse, an error (any of Status, RESTCode, FaultCode, SOAPCode or Unhandled
// set), else the normal answer. A truncated answer carries the operation's answer
// if the fault applied it successfully, otherwise a made-up one with a random key
// (or token, or session ID) that nobody holds. Unhandled gives ASMX's answer to an
// unexpected exception: a Server (Receiver) fault "Server was unable to process
// request. ---> <Message>" with an empty detail; REST, 500 InternalError.
//
// # Inspection and secrets
//
// Server.Key, Server.Rotations, Server.Logins, Server.Logouts, Server.Sessions,
// Server.Requests (a log with masked credentials and headers; a password is never
// logged), Server.Accepted (TCP connections accepted) and Server.PendingFaults let
// tests check what clients did.
//
// No encoding of the package's types reveals a secret: a User's APIKey and Password
// are masked by fmt (every verb), encoding/json, encoding/xml and log/slog; a Server
// prints as its String with every verb; the request log holds masked credentials.
//
// A Server is safe for concurrent use. Server.Close stops it and waits for all of its
// goroutines, including delayed handlers and hijacked connections.
package ecgridtest
