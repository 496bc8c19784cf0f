// Package soap is a single-attempt client of the ECGridOS SOAP API (an
// ASP.NET ASMX service), in SOAP 1.1 or 1.2: it sends one call and reports
// what the service answered, as a result or as an *Error of protocol facts
// (HTTP status, fault code, ECGridOSSOAPErrorCode, whether the request may
// have left). Envelopes are built with every value escaped; answers are read
// by local element names, so any prefix and any namespace parse: by a
// hand-written parser for the plain shape nearly every answer has, and by
// encoding/xml's decoder for anything else.
//
// It does not retry, fall back or decide what a failure means for a key
// rotation: package ecgrid does that on top of it, and is what most programs
// should use. This package is for programs that want the raw calls.
//
// The vendor's documents disagree on the operation namespace. Unless
// Config.Namespace pins one, a Client starts with DefaultNamespace and, when
// the service answers that it does not recognise the action (the fault ASMX
// sends for a SOAPAction in another namespace, which proves the call was not
// processed), tries the other KnownNamespaces once each and keeps, for its
// lifetime, the first one the service recognises.
//
// A Client never follows a redirect, neither sends nor stores cookies, reads
// at most 1 MiB of any answer, and never puts a session ID, password or key
// in an error.
package soap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// Envelope namespaces.
const (
	NamespaceSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NamespaceSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
)

// DefaultNamespace is the operation namespace of the vendor's quick start and
// live v4.1 service page.
const DefaultNamespace = "https://os.ecgrid.io/"

// KnownNamespaces returns the operation namespaces the vendor's documents
// use, in the order a Client tries them: DefaultNamespace, the reference
// pages' "http://www.ecgridos.net/", the v3.2 WSDL's "http://ecgridos.net/".
func KnownNamespaces() []string {
	return []string{DefaultNamespace, "http://www.ecgridos.net/", "http://ecgridos.net/"}
}

// DefaultURL is the endpoint of ECGrid's production SOAP service.
const DefaultURL = "https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx"

// Version is a SOAP protocol version.
type Version string

// The SOAP versions ECGridOS speaks.
const (
	V11 Version = "1.1" // text/xml with a SOAPAction header
	V12 Version = "1.2" // application/soap+xml with an action parameter
)

// The operations this package calls, as named in Error.Op.
const (
	OpGenerateAPIKey = "GenerateAPIKey"
	OpUserGetAPIKey  = "UserGetAPIKey"
	OpLogin          = "Login"
	OpLogout         = "Logout"
	OpWhoAmI         = "WhoAmI"
)

// ErrInvalidInput is wrapped by the *Error a call returns, without sending
// anything, when its input can't be sent unchanged: a user ID out of
// 1..2147483647, an empty or unprintable session ID, login or password.
var ErrInvalidInput = errors.New("invalid input")

// Config configures a Client.
type Config struct {
	// URL is the endpoint, such as DefaultURL or a test server's SOAP URL:
	// absolute, http or https, without user info, query or fragment.
	URL string
	// HTTPClient sends the requests. It is copied, never modified: the copy
	// follows no redirect and has no cookie jar. nil means a client with a
	// pooled transport.
	HTTPClient *http.Client
	// UserAgent is the User-Agent header; empty means "ecgrid-go-soap".
	UserAgent string
	// Version is V11 (the default when empty) or V12.
	Version Version
	// Namespace pins the operation namespace. Empty means DefaultNamespace,
	// with the discovery described in the package documentation.
	Namespace string
	// Logger, if set, gets an Info record when discovery settles on a
	// namespace other than DefaultNamespace.
	Logger *slog.Logger
	// Sender fills Login's sender fields.
	Sender Sender
}

// Sender identifies the calling software in Login, as ECGridOS asks.
// Empty fields are sent empty.
type Sender struct {
	Solution     string // SenderSolution, such as "ecgrid-go"
	Version      string // SenderVersion
	CompanyName  string // SenderCompanyName
	Contact      string // SenderContact
	ContactEmail string // SenderContactEmail
}

// UserIDInfo is the answer of WhoAmI: who a session belongs to. Strings are
// as the service sent them, with characters that are not printable escaped,
// and cut to at most 256 bytes (AuthLevel: 64).
type UserIDInfo struct {
	UserID    int
	Login     string
	NetworkID int
	MailboxID int
	AuthLevel string // such as "NetworkAdmin" or "MailboxUser"
}

// Client makes single SOAP calls. It is safe for concurrent use.
type Client struct {
	hc       *http.Client
	endpoint *url.URL
	url      string
	uaHeader []string
	v12      bool
	logger   *slog.Logger
	sender   Sender
	ns       atomic.Pointer[namespace] // the namespace in use
	// known are the KnownNamespaces, prepared, in order; nil when the
	// namespace is pinned.
	known []*namespace
}

// New returns a Client for cfg. It makes no network call, and fails when
// the URL, the version or the namespace is unusable, or a Sender field is
// not printable UTF-8 text or is longer than 4096 bytes.
func New(cfg Config) (*Client, error) {
	u, err := wire.ParseEndpoint("soap", "the URL", cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Version != "" && cfg.Version != V11 && cfg.Version != V12 {
		return nil, fmt.Errorf("soap: unsupported SOAP version %q (want %q or %q)", string(cfg.Version), V11, V12)
	}
	for _, f := range []struct{ name, v string }{{"Sender.Solution", cfg.Sender.Solution},
		{"Sender.Version", cfg.Sender.Version}, {"Sender.CompanyName", cfg.Sender.CompanyName},
		{"Sender.Contact", cfg.Sender.Contact}, {"Sender.ContactEmail", cfg.Sender.ContactEmail}} {
		if err := wire.CheckText(f.name, f.v, true); err != nil {
			return nil, fmt.Errorf("soap: %w", err)
		}
	}
	ns := cfg.Namespace
	if ns != "" {
		n, err := url.Parse(ns)
		if err != nil || n.Scheme == "" || n.Host == "" || strings.ContainsAny(ns, " \t\r\n\"'<>&") {
			return nil, fmt.Errorf("soap: the namespace %q is not an absolute URI", ns)
		}
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "ecgrid-go-soap"
	}
	c := &Client{
		hc:       wire.HTTPClient(cfg.HTTPClient),
		endpoint: u,
		url:      u.String(),
		uaHeader: []string{ua},
		v12:      cfg.Version == V12,
		logger:   cfg.Logger,
		sender:   cfg.Sender,
	}
	if ns != "" {
		c.ns.Store(prepareNamespace(ns, c.v12))
		return c, nil
	}
	for _, uri := range KnownNamespaces() {
		c.known = append(c.known, prepareNamespace(uri, c.v12))
	}
	c.ns.Store(c.known[0]) // DefaultNamespace
	return c, nil
}

// Namespace returns the operation namespace the client sends: the pinned
// one, or the one discovery settled on (DefaultNamespace until then).
func (c *Client) Namespace() string { return c.ns.Load().uri }

// Format prints the client's version and endpoint, never a credential.
func (c *Client) Format(f fmt.State, _ rune) {
	v := V11
	if c.v12 {
		v = V12
	}
	fmt.Fprintf(f, "soap.Client{SOAP %s %s}", v, c.endpoint.Redacted())
}

// Action returns the SOAP action URI of an operation in a namespace, as ASMX
// forms it: the namespace, a slash if it has none at its end, the name.
func Action(namespace, name string) string {
	if strings.HasSuffix(namespace, "/") {
		return namespace + name
	}
	return namespace + "/" + name
}

// GenerateAPIKey calls GenerateAPIKey(SessionID, UserID) once and returns
// the new key; the user's previous key stops working when the service
// processes the call. An API key is accepted in place of a session ID. On
// failure it returns an *Error.
func (c *Client) GenerateAPIKey(ctx context.Context, sessionID string, userID int) (string, error) {
	return c.keyCall(ctx, OpGenerateAPIKey, sessionID, userID)
}

// UserGetAPIKey calls UserGetAPIKey(SessionID, UserID) once and returns the
// user's current key. On failure it returns an *Error.
func (c *Client) UserGetAPIKey(ctx context.Context, sessionID string, userID int) (string, error) {
	return c.keyCall(ctx, OpUserGetAPIKey, sessionID, userID)
}

func (c *Client) keyCall(ctx context.Context, op, sessionID string, userID int) (string, error) {
	if userID < 1 || userID > 1<<31-1 {
		return "", invalid(op, fmt.Sprintf("user ID %d is out of range 1..2147483647", userID))
	}
	if err := wire.CheckSecret("session ID", sessionID); err != nil {
		return "", invalid(op, err.Error())
	}
	var a answer
	err := c.call(ctx, op, &a, []string{sessionID}, sessionID, strconv.Itoa(userID))
	if err != nil {
		return "", err
	}
	return a.key, nil
}

// Login calls Login(UserName, Password, SenderSolution, SenderVersion,
// SenderCompanyName, SenderContact, SenderContactEmail) once, with the
// sender fields of the Config, and returns the session ID. A wrong user
// name or password is an *Error with a Client (Sender) fault.
func (c *Client) Login(ctx context.Context, userName, password string) (string, error) {
	if err := wire.CheckText("user name", userName, false); err != nil {
		return "", invalid(OpLogin, err.Error())
	}
	if err := wire.CheckSecret("password", password); err != nil {
		return "", invalid(OpLogin, err.Error())
	}
	s := c.sender
	var a answer
	if err := c.call(ctx, OpLogin, &a, []string{password}, userName, password,
		s.Solution, s.Version, s.CompanyName, s.Contact, s.ContactEmail); err != nil {
		return "", err
	}
	return a.key, nil
}

// Logout calls Logout(SessionID) once and returns what the service answered
// (true: the session ended). On failure it returns an *Error.
func (c *Client) Logout(ctx context.Context, sessionID string) (bool, error) {
	if err := wire.CheckSecret("session ID", sessionID); err != nil {
		return false, invalid(OpLogout, err.Error())
	}
	var a answer
	if err := c.call(ctx, OpLogout, &a, []string{sessionID}, sessionID); err != nil {
		return false, err
	}
	return a.ok, nil
}

// WhoAmI calls WhoAmI(SessionID) once and returns who the session (or API
// key) belongs to. On failure it returns an *Error.
func (c *Client) WhoAmI(ctx context.Context, sessionID string) (UserIDInfo, error) {
	if err := wire.CheckSecret("session ID", sessionID); err != nil {
		return UserIDInfo{}, invalid(OpWhoAmI, err.Error())
	}
	var a answer
	if err := c.call(ctx, OpWhoAmI, &a, []string{sessionID}, sessionID); err != nil {
		return UserIDInfo{}, err
	}
	return a.info, nil
}

// call sends op with the parameter values, in the namespace in use, and
// reads the answer into a. When the service does not recognise the action
// and the namespace is not pinned, it tries the other known namespaces.
func (c *Client) call(ctx context.Context, op string, a *answer, secrets []string, params ...string) error {
	ns := c.ns.Load()
	err := c.send(ctx, ns.ops[op], a, secrets, params)
	if c.known == nil || !unrecognised(err) { // nil: the namespace is pinned
		return err
	}
	for _, next := range c.known {
		if next == ns {
			continue
		}
		*a = answer{}
		nerr := c.send(ctx, next.ops[op], a, secrets, params)
		if unrecognised(nerr) {
			continue
		}
		if !recognised(nerr) {
			// No proof either way (not sent, no answer, a proxy's 503):
			// keep the namespace; the next call tries again.
			return nerr
		}
		if c.ns.CompareAndSwap(ns, next) && c.logger != nil {
			c.logger.LogAttrs(ctx, slog.LevelInfo, "ecgrid: the SOAP service recognises another operation namespace; using it",
				slog.String("namespace", next.uri), slog.String("was", ns.uri))
		}
		return nerr
	}
	return err
}

// recognised reports whether err, an answer to a call in some namespace,
// proves the service dispatched the call: a success, or a SOAP fault other
// than the unrecognised-action one.
func recognised(err error) bool {
	if err == nil {
		return true
	}
	e, ok := err.(*Error)
	return ok && e.Fault && !unrecognised(err)
}

// send makes one attempt of a prepared operation.
func (c *Client) send(ctx context.Context, p *prepared, a *answer, secrets []string, params []string) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: p.name, NotSent: true, Err: err}
	}
	body := wire.NewBody()
	defer body.Release()
	p.envelope(&body.Buffer, params)
	tctx, ev := wire.Trace(ctx)
	req, err := http.NewRequestWithContext(tctx, http.MethodPost, c.url, bytes.NewReader(body.Bytes()))
	if err != nil {
		ev.Drop()
		return &Error{Op: p.name, NotSent: true, Problem: "the request could not be built", Err: err}
	}
	// Prepared header values, shared: net/http only reads them.
	req.Header["Content-Type"] = p.ctHeader
	if p.actionHeader != nil {
		req.Header["Soapaction"] = p.actionHeader // canonical form of SOAPAction
	}
	req.Header["User-Agent"] = c.uaHeader
	resp, err := c.hc.Do(req)
	if err != nil {
		ev.Drop()
		return &Error{Op: p.name, NotSent: ev.NotSent(), Err: wire.ScrubURLError(err)}
	}
	defer resp.Body.Close()
	// An answer came: the request is over, and its trace will not fire again.
	defer ev.Release()
	if resp.StatusCode < 200 {
		return &Error{Op: p.name, StatusCode: resp.StatusCode, Problem: "an informational (1xx) answer came as the final answer"}
	}
	buf, rerr := wire.ReadBody(resp.Body)
	defer buf.Release()
	if rerr != nil {
		return &Error{Op: p.name, StatusCode: resp.StatusCode, Problem: "the answer could not be read", Err: rerr,
			RetryAfter: wire.RetryAfter(resp.StatusCode, resp.Header, time.Now())}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &Error{Op: p.name, StatusCode: resp.StatusCode, Problem: wire.RedirectMessage(resp.Header.Get("Location"), c.endpoint, secrets...)}
	}
	return read(p, a, resp.StatusCode, resp.Header, buf.Bytes(), secrets)
}

// namespace holds the operations prepared for one operation namespace.
type namespace struct {
	uri string
	ops map[string]*prepared
}

// operation parameters, in order.
var operations = map[string][]string{
	OpGenerateAPIKey: {"SessionID", "UserID"},
	OpUserGetAPIKey:  {"SessionID", "UserID"},
	OpLogin:          {"UserName", "Password", "SenderSolution", "SenderVersion", "SenderCompanyName", "SenderContact", "SenderContactEmail"},
	OpLogout:         {"SessionID"},
	OpWhoAmI:         {"SessionID"},
}

// prepared holds the escaped, precomputed parts of one operation's call.
type prepared struct {
	name         string   // operation name
	response     string   // <name>Response
	result       string   // <name>Result
	children     bool     // the result has child elements (WhoAmI)
	ctHeader     []string // Content-Type header
	actionHeader []string // SOAPAction header (1.1)
	head, tail   string   // the envelope before and after the parameters
	open, close  []string // <Param> and </Param> of each parameter
}

func prepareNamespace(uri string, v12 bool) *namespace {
	n := &namespace{uri: uri, ops: make(map[string]*prepared, len(operations))}
	for name, params := range operations {
		n.ops[name] = prepare(name, params, uri, v12)
	}
	return n
}

// prepare precomputes the call of operation name in namespace ns, which
// holds no character XML escapes (New refuses them, and KnownNamespaces
// have none), so it is written as it is.
func prepare(name string, params []string, ns string, v12 bool) *prepared {
	action := Action(ns, name)
	p := &prepared{name: name, response: name + "Response", result: name + "Result", children: name == OpWhoAmI}
	envNS := NamespaceSOAP11
	contentType := "text/xml; charset=utf-8"
	if v12 {
		envNS = NamespaceSOAP12
		contentType = `application/soap+xml; charset=utf-8; action="` + action + `"`
	} else {
		p.actionHeader = []string{`"` + action + `"`}
	}
	p.ctHeader = []string{contentType}
	p.head = `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + envNS + `"><soap:Body>` +
		`<` + name + ` xmlns="` + ns + `">`
	p.tail = `</` + name + `></soap:Body></soap:Envelope>`
	for _, param := range params {
		p.open = append(p.open, "<"+param+">")
		p.close = append(p.close, "</"+param+">")
	}
	return p
}

// envelope writes the request body with the parameter values, escaped.
func (p *prepared) envelope(b *bytes.Buffer, values []string) {
	b.WriteString(p.head)
	for i, v := range values {
		b.WriteString(p.open[i])
		appendEscaped(b, v)
		b.WriteString(p.close[i])
	}
	b.WriteString(p.tail)
}

// appendEscaped writes s with the five XML special characters escaped.
func appendEscaped(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		case '\'':
			esc = "&apos;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// invalid is the error for input refused before sending.
func invalid(op, msg string) *Error {
	return &Error{Op: op, NotSent: true, Problem: msg, Err: ErrInvalidInput}
}
