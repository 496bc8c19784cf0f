package ecgrid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ecgridkit/ecgrid/internal/wire"
	"github.com/ecgridkit/ecgrid/rest"
	"github.com/ecgridkit/ecgrid/soap"
)

// Version is this library's version, sent in the User-Agent header.
const Version = "0.2.0"

// Defaults for the vendor's production services.
const (
	DefaultRESTURL       = rest.DefaultBaseURL
	DefaultSOAPURL       = soap.DefaultURL
	DefaultSOAPNamespace = soap.DefaultNamespace
)

// Transport names one of ECGrid's two APIs.
type Transport string

// The transports.
const (
	REST Transport = "rest" // the JSON API at rest.ecgrid.io (the default)
	SOAP Transport = "soap" // the ECGridOS SOAP API (maintenance mode)
)

// SOAPVersion is the SOAP protocol version of the SOAP transport.
type SOAPVersion string

// The SOAP versions ECGridOS speaks.
const (
	SOAP11 SOAPVersion = "1.1" // text/xml with a SOAPAction header (the default)
	SOAP12 SOAPVersion = "1.2" // application/soap+xml with an action parameter
)

// CredentialsProvider supplies the credentials for each request, in the
// manner of oauth2.TokenSource. It must be safe for concurrent use, and its
// errors must not contain secrets. After a 401 the client asks it once more,
// and repeats the call if it gives other credentials.
type CredentialsProvider interface {
	// Credentials returns the credentials for the next request. An error
	// ends the call before anything is sent, as an *Error of kind
	// ErrUnauthorized whose Err holds the provider's error (nothing changed
	// on the server); credentials that are unusable end it as
	// ErrInvalidInput.
	Credentials(ctx context.Context) (Credentials, error)
}

// Option configures a Client in New. An option that is given a bad value
// makes New fail with an error saying which option and why.
type Option func(*settings) error

type settings struct {
	transport   Transport
	creds       Credentials
	provider    CredentialsProvider
	login       string // "": no WithLogin (it refuses an empty login)
	password    string
	sender      Sender
	restURL     string
	soapURL     string
	soapVersion SOAPVersion
	namespace   string // "": discovered
	httpClient  *http.Client
	maxConns    int
	timeout     time.Duration
	uaSuffix    string
	logger      *slog.Logger
	insecure    bool
	retry       RetryPolicy
	fallback    bool
}

// WithTransport chooses REST (the default) or SOAP. An integration that
// authenticates with an API key moves from SOAP to REST by changing this
// option alone, when it uses the vendor's default endpoints; see the README's
// migration table for what else can differ (a SOAP session ID does not work
// on REST, a non-default endpoint needs WithRESTURL, and after a lost answer
// REST can't read the key back with the rotated key itself).
func WithTransport(t Transport) Option {
	return func(s *settings) error {
		if t != REST && t != SOAP {
			return fmt.Errorf("WithTransport: unknown transport %q (want %q or %q)", string(t), REST, SOAP)
		}
		s.transport = t
		return nil
	}
}

// WithAPIKey sets the API key: sent as X-API-Key on REST and as SessionID on
// SOAP (unless WithSessionID is also given).
func WithAPIKey(key string) Option {
	return func(s *settings) error {
		if err := wire.CheckSecret("API key", key); err != nil {
			return fmt.Errorf("WithAPIKey: %w", err)
		}
		s.creds.APIKey = key
		return nil
	}
}

// WithSessionID sets a SOAP session ID from ECGridOS Login(). SOAP prefers it
// over an API key; REST can't use it.
func WithSessionID(id string) Option {
	return func(s *settings) error {
		if err := wire.CheckSecret("session ID", id); err != nil {
			return fmt.Errorf("WithSessionID: %w", err)
		}
		s.creds.SessionID = id
		return nil
	}
}

// WithBearerToken sets a REST bearer token (from POST /v2/auth/login), sent as
// Authorization: Bearer when no API key is set. SOAP can't use it.
func WithBearerToken(token string) Option {
	return func(s *settings) error {
		if err := wire.CheckSecret("bearer token", token); err != nil {
			return fmt.Errorf("WithBearerToken: %w", err)
		}
		s.creds.BearerToken = token
		return nil
	}
}

// WithCredentialsProvider makes the client ask p for credentials on every
// request, instead of holding fixed ones. It can't be combined with
// WithAPIKey, WithSessionID, WithBearerToken or WithLogin.
func WithCredentialsProvider(p CredentialsProvider) Option {
	return func(s *settings) error {
		if p == nil {
			return errors.New("WithCredentialsProvider: nil provider")
		}
		s.provider = p
		return nil
	}
}

// WithRESTURL sets the REST base URL (default DefaultRESTURL), such as a test
// server's URL. It must be absolute, without user info, query or fragment;
// plain http:// is accepted only for loopback hosts, unless WithInsecureHTTP
// is given.
func WithRESTURL(u string) Option {
	return func(s *settings) error { s.restURL = u; return nil }
}

// WithSOAPURL sets the full SOAP endpoint URL (default DefaultSOAPURL), with
// the same rules as WithRESTURL.
func WithSOAPURL(u string) Option {
	return func(s *settings) error { s.soapURL = u; return nil }
}

// WithInsecureHTTP allows plain http:// URLs to hosts that are not loopback.
// Credentials then travel unencrypted: use it only inside a trusted network.
func WithInsecureHTTP() Option {
	return func(s *settings) error { s.insecure = true; return nil }
}

// WithSOAPVersion chooses SOAP 1.1 (the default) or 1.2.
func WithSOAPVersion(v SOAPVersion) Option {
	return func(s *settings) error {
		if v != SOAP11 && v != SOAP12 {
			return fmt.Errorf("WithSOAPVersion: unsupported SOAP version %q (want %q or %q)", string(v), SOAP11, SOAP12)
		}
		s.soapVersion = v
		return nil
	}
}

// WithSOAPNamespace pins the namespace of the SOAP operations, such as
// "http://www.ecgridos.net/", which older ECGridOS documents use. Without
// it, the client starts with DefaultSOAPNamespace and, when the service
// answers that it does not recognise the action (a fault that proves the
// call was not processed), tries the other namespaces the vendor's documents
// use and keeps the first one the service recognises, logging it at Info.
// Answers are read whatever their namespace.
func WithSOAPNamespace(ns string) Option {
	return func(s *settings) error {
		u, err := url.Parse(ns)
		if err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(ns, " \t\r\n\"'<>&") {
			return fmt.Errorf("WithSOAPNamespace: %q is not an absolute URI", ns)
		}
		s.namespace = ns
		return nil
	}
}

// WithHTTPClient sets the *http.Client requests go through. The client is
// copied, never modified; the copy never follows redirects and neither sends
// nor stores cookies. Its Timeout, if set, bounds each attempt. Without this
// option (or with a client whose Transport is nil) the client uses a pooled
// transport that keeps up to 256 idle connections per host for reuse and
// does not cap open ones (see WithMaxConnsPerHost).
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		s.httpClient = hc
		return nil
	}
}

// WithMaxConnsPerHost caps the connections the default transport opens to
// one host; further concurrent calls wait for a free connection. 0 (the
// default) sets no cap. It can't be combined with a WithHTTPClient whose
// Transport is set: configure that transport instead.
func WithMaxConnsPerHost(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return fmt.Errorf("WithMaxConnsPerHost: negative cap %d", n)
		}
		s.maxConns = n
		return nil
	}
}

// WithTimeout bounds each call, retries and their waits included. Zero (the
// default) leaves it to the context.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return fmt.Errorf("WithTimeout: negative timeout %s", d)
		}
		s.timeout = d
		return nil
	}
}

// WithUserAgent appends a product token such as "myapp/1.2" to the
// User-Agent header, which always starts with "ecgrid-go/<Version>".
func WithUserAgent(suffix string) Option {
	return func(s *settings) error {
		if strings.ContainsFunc(suffix, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return errors.New("WithUserAgent: the suffix contains a control character")
		}
		s.uaSuffix = strings.TrimSpace(suffix)
		return nil
	}
}

// WithLogger makes the client log retries (Debug), fallbacks, logins,
// renewals and SOAP namespace changes (Info) to l. Records carry the
// operation, user ID, transport, attempt and error kind: never a key,
// session ID, token or password. The default is no logging.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		if l == nil {
			return errors.New("WithLogger: nil *slog.Logger")
		}
		s.logger = l
		return nil
	}
}

// WithSOAPFallback makes REST the primary transport and SOAP the fallback,
// for integrations in the middle of a migration. A call moves to SOAP only
// when REST certainly did not process it: the connection failed before
// sending (refused, DNS, TLS handshake), REST answered 404 without an ECGrid
// envelope (no such route), 501, or 503 after retries. Never after a REST
// failure whose outcome is unknown. Only GenerateAPIKey, GetAPIKey and
// WhoAmI fall back: Login, Refresh and Logout stay on REST, since a session
// belongs to the transport that made it. The credential must be usable on SOAP
// too (an API key, or a session ID beside the REST credential); WithLogin
// can't be combined with it.
func WithSOAPFallback() Option {
	return func(s *settings) error { s.fallback = true; return nil }
}

// Client talks to ECGrid over the chosen transport. It is safe for
// concurrent use; create one and share it, and Close it when done.
// Formatting a Client never shows a credential.
type Client struct {
	*config
	creds  credSource
	static *staticCreds // fixed credentials, nil otherwise
	login  *loginSource // WithLogin, nil otherwise
	closed *atomic.Bool // shared with the clients derived from this one
}

// config is what a Client and the clients derived from it share.
type config struct {
	transport   Transport
	soapVersion SOAPVersion
	restURL     *url.URL
	soapURL     *url.URL
	rest        *rest.Client // nil when REST is not used
	soap        *soap.Client // nil when SOAP is not used
	hc          *http.Client
	fallback    bool
	timeout     time.Duration
	retry       RetryPolicy
	logger      *slog.Logger
}

// New returns a Client configured by opts: REST with the vendor's URL unless
// told otherwise. It makes no network call. It fails, with an error that
// says what is wrong, when an option has a bad value, when no credential is
// given or the chosen transport can't use it, or when a URL is unusable.
func New(opts ...Option) (*Client, error) {
	s := settings{
		transport:   REST,
		restURL:     DefaultRESTURL,
		soapURL:     DefaultSOAPURL,
		soapVersion: SOAP11,
		retry:       DefaultRetryPolicy(),
		sender:      Sender{Solution: "ecgrid-go", Version: Version},
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("ecgrid: New: nil Option")
		}
		if err := o(&s); err != nil {
			return nil, fmt.Errorf("ecgrid: New: %w", err)
		}
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("ecgrid: New: %w", err)
	}
	cfg := &config{transport: s.transport, soapVersion: s.soapVersion, fallback: s.fallback,
		timeout: s.timeout, retry: s.retry, logger: s.logger}
	var err error
	if cfg.restURL, err = checkURL("the REST URL", s.restURL, s.insecure); err != nil {
		return nil, fmt.Errorf("ecgrid: New: %w", err)
	}
	if cfg.soapURL, err = checkURL("the SOAP URL", s.soapURL, s.insecure); err != nil {
		return nil, fmt.Errorf("ecgrid: New: %w", err)
	}
	cfg.hc = wire.HTTPClientConns(s.httpClient, s.maxConns)
	ua := "ecgrid-go/" + Version
	if s.uaSuffix != "" {
		ua += " " + s.uaSuffix
	}
	if s.transport == REST {
		if cfg.rest, err = rest.New(rest.Config{BaseURL: cfg.restURL.String(), HTTPClient: cfg.hc, UserAgent: ua}); err != nil {
			return nil, fmt.Errorf("ecgrid: New: %w", err)
		}
	}
	if s.transport == SOAP || s.fallback {
		cfg.soap, err = soap.New(soap.Config{URL: cfg.soapURL.String(), HTTPClient: cfg.hc, UserAgent: ua,
			Version: soap.Version(s.soapVersion), Namespace: s.namespace, Logger: s.logger,
			Sender: soap.Sender(s.sender)})
		if err != nil {
			return nil, fmt.Errorf("ecgrid: New: %w", err)
		}
	}
	c := &Client{config: cfg, closed: new(atomic.Bool)}
	switch {
	case s.provider != nil:
		c.creds = providerCreds{s.provider}
	case s.login != "":
		c.login = &loginSource{c: c, login: s.login, password: s.password}
		c.creds = c.login
	default:
		c.static = newStaticCreds(s.creds)
		c.creds = c.static
	}
	return c, nil
}

func (s *settings) check() error {
	if s.fallback && s.transport != REST {
		return errors.New("WithSOAPFallback needs REST as the primary transport")
	}
	if s.httpClient != nil && s.httpClient.Transport != nil && s.maxConns != 0 {
		return errors.New("WithMaxConnsPerHost can't be combined with a WithHTTPClient whose Transport is set")
	}
	sources := 0
	if s.creds != (Credentials{}) {
		sources++
	}
	if s.provider != nil {
		sources++
	}
	if s.login != "" {
		sources++
		if s.fallback {
			return errors.New("WithLogin can't be combined with WithSOAPFallback")
		}
	}
	if sources > 1 {
		return errors.New("give one source of credentials: WithAPIKey/WithSessionID/WithBearerToken, WithCredentialsProvider or WithLogin")
	}
	if s.provider != nil || s.login != "" {
		return nil
	}
	return usable(s.creds, s.transport, s.fallback)
}

// usable reports whether the transport (and the fallback) can authenticate with c.
func usable(c Credentials, t Transport, fallback bool) error {
	if c == (Credentials{}) {
		return errors.New("no credential: give WithAPIKey, WithSessionID (SOAP), WithBearerToken (REST), WithLogin or WithCredentialsProvider")
	}
	if err := c.check(); err != nil {
		return err
	}
	if t == REST && !c.restOK() {
		return errors.New("the REST transport can't use a SOAP session ID: give WithAPIKey or WithBearerToken")
	}
	if (t == SOAP || fallback) && c.soapSession() == "" {
		return errors.New("the SOAP transport can't use a bearer token: give WithAPIKey or WithSessionID")
	}
	return nil
}

// checkURL parses an endpoint URL: absolute, http or https, with a host, no
// user info, no query (not even a bare "?") and no fragment; http only for
// loopback hosts unless insecure is set.
func checkURL(what, raw string, insecure bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s is empty", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a valid URL", what, wire.Escape(raw))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%s %q must start with https:// (or http:// for a loopback host)", what, wire.Escape(raw))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%s %q has no host", what, wire.Escape(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s must not contain user info", what)
	}
	if strings.ContainsAny(raw, "?#") {
		return nil, fmt.Errorf("%s %q must not have a query or fragment", what, wire.Escape(raw))
	}
	if u.Scheme == "http" && !insecure && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s %q uses plain http:// to a host that is not loopback; use https:// (credentials would travel unencrypted)", what, wire.Escape(raw))
	}
	return u, nil
}

// isLoopback reports whether host is localhost, 127.0.0.0/8 or ::1. It does no lookup.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Users returns the client's Users: GenerateAPIKey and GetAPIKey over the
// configured transport, with its retries and fallback.
func (c *Client) Users() Users { return clientUsers{c} }

// Transport returns the primary transport, REST or SOAP.
func (c *Client) Transport() Transport { return c.transport }

// SetCredentials replaces the client's credentials; calls already under way
// keep the ones they started with, and one refused with 401 because of the
// change is repeated once with the new ones. It is safe to call
// concurrently with requests. It fails if the client's credentials come from
// a CredentialsProvider or WithLogin, or if the transport can't use creds.
func (c *Client) SetCredentials(creds Credentials) error {
	if c.static == nil {
		return errors.New("ecgrid: SetCredentials: the client's credentials come from a CredentialsProvider or WithLogin")
	}
	if err := usable(creds, c.transport, c.fallback); err != nil {
		return fmt.Errorf("ecgrid: SetCredentials: %w", err)
	}
	c.static.set(creds)
	return nil
}

// Close logs out of the session the client logged in to (WithLogin), if
// any, and closes idle connections. Afterwards every call fails with
// ErrInvalidInput without sending anything. It is safe to call more than
// once; only the first call logs out, and its error, an *Error, says if the
// logout failed (the session then ends when the service expires it).
func (c *Client) Close(ctx context.Context) error {
	if c.closed.Swap(true) {
		return nil
	}
	var err error
	if c.login != nil {
		_, err = c.login.logout(ctx)
	}
	c.hc.CloseIdleConnections()
	return err
}

// String describes the client's transport and endpoint, never a credential.
func (c *Client) String() string {
	if c.transport == SOAP {
		return fmt.Sprintf("ecgrid.Client{SOAP %s %s}", c.soapVersion, c.soapURL.Redacted())
	}
	s := fmt.Sprintf("ecgrid.Client{REST %s", c.restURL.Redacted())
	if c.fallback {
		s += " fallback SOAP " + c.soapURL.Redacted()
	}
	return s + "}"
}

// Format prints String for every verb, so no formatting shows a credential.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// clientUsers is the Users a Client hands out.
type clientUsers struct{ c *Client }

// GenerateAPIKey implements Users.GenerateAPIKey with the client's retries
// and fallback.
func (u clientUsers) GenerateAPIKey(ctx context.Context, userID int) (string, error) {
	r := request{op: opGenerate, userID: userID}
	if e := u.c.do(ctx, &r); e != nil {
		return "", e
	}
	return r.key, nil
}

// GetAPIKey implements Users.GetAPIKey with the client's retries and
// fallback.
func (u clientUsers) GetAPIKey(ctx context.Context, userID int) (string, error) {
	r := request{op: opGet, userID: userID}
	if e := u.c.do(ctx, &r); e != nil {
		return "", e
	}
	return r.key, nil
}

// Format never shows a credential.
func (u clientUsers) Format(f fmt.State, verb rune) { u.c.Format(f, verb) }

// StaticProvider returns a CredentialsProvider that always supplies c. It is
// mostly useful in tests; a Client given fixed credentials with WithAPIKey
// and friends can change them with SetCredentials.
func StaticProvider(c Credentials) CredentialsProvider { return newStaticCreds(c) }
