package ecgrid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ecgridkit/ecgrid/internal/core"
	"github.com/ecgridkit/ecgrid/rest"
	"github.com/ecgridkit/ecgrid/soap"
)

// Version is this library's version, sent in the User-Agent header.
const Version = "0.1.0"

// Defaults for the vendor's production services.
const (
	DefaultRESTURL       = "https://rest.ecgrid.io"
	DefaultSOAPURL       = "https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx"
	DefaultSOAPNamespace = "https://os.ecgrid.io/"
)

// Transport names one of ECGrid's two APIs.
type Transport string

// The transports.
const (
	REST Transport = core.TransportREST // JSON API at rest.ecgrid.io (the default)
	SOAP Transport = core.TransportSOAP // ECGridOS SOAP API (maintenance mode)
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
// errors must not contain secrets.
type CredentialsProvider interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// Option configures a Client in New. An option that is given a bad value
// makes New fail with an error saying which option and why.
type Option func(*settings) error

type settings struct {
	transport   Transport
	creds       Credentials
	provider    CredentialsProvider
	restURL     string
	soapURL     string
	soapVersion SOAPVersion
	namespace   string
	httpClient  *http.Client
	timeout     time.Duration
	uaSuffix    string
	logger      *slog.Logger
	insecure    bool
	retry       RetryPolicy
	fallback    bool
}

// WithTransport chooses REST (the default) or SOAP. Moving an integration
// from SOAP to REST changes only this option.
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
		if err := core.CheckSecret("API key", key); err != nil {
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
		if err := core.CheckSecret("session ID", id); err != nil {
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
		if err := core.CheckSecret("bearer token", token); err != nil {
			return fmt.Errorf("WithBearerToken: %w", err)
		}
		s.creds.BearerToken = token
		return nil
	}
}

// WithCredentialsProvider makes the client ask p for credentials on every
// request, instead of holding fixed ones. It can't be combined with
// WithAPIKey, WithSessionID or WithBearerToken.
func WithCredentialsProvider(p CredentialsProvider) Option {
	return func(s *settings) error {
		if p == nil {
			return errors.New("WithCredentialsProvider: nil provider")
		}
		s.provider = p
		return nil
	}
}

// WithRESTURL sets the REST base URL (default DefaultRESTURL), such as
// "https://rest.ecgrid.io" or a test server's URL. Plain http:// is accepted
// only for loopback hosts, unless WithInsecureHTTP is given.
func WithRESTURL(u string) Option {
	return func(s *settings) error { s.restURL = u; return nil }
}

// WithSOAPURL sets the full SOAP endpoint URL (default DefaultSOAPURL).
// Plain http:// is accepted only for loopback hosts, unless WithInsecureHTTP
// is given.
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

// WithSOAPNamespace sets the namespace of the SOAP operations (default
// DefaultSOAPNamespace). Older ECGridOS documents use "http://www.ecgridos.net/".
// Answers are read whatever their namespace.
func WithSOAPNamespace(ns string) Option {
	return func(s *settings) error {
		u, err := url.Parse(ns)
		if err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(ns, " \t\r\n\"<>") {
			return fmt.Errorf("WithSOAPNamespace: %q is not an absolute URI", ns)
		}
		s.namespace = ns
		return nil
	}
}

// WithHTTPClient sets the *http.Client requests go through. The client is
// copied, never modified; the copy never follows redirects. Its Timeout, if
// set, bounds each attempt. Without this option (or with a client whose
// Transport is nil) the client uses a pooled transport that keeps up to 64
// connections per host and makes further concurrent requests wait for one.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		s.httpClient = hc
		return nil
	}
}

// WithTimeout bounds each call of GenerateAPIKey or GetAPIKey, retries and
// their waits included. Zero (the default) leaves it to the context.
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

// WithLogger makes the client log retries (Debug) and fallbacks (Info) to l.
// Log records carry the operation, user ID, transport, attempt and error
// kind: never a key, session ID or token. The default is no logging.
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
// sending (refused, DNS, TLS), REST answered 404 without an ECGrid envelope
// (no such route), 501, or 503 after retries. Never after a REST failure
// whose outcome is unknown. The credential must be usable on SOAP too (an
// API key, or a session ID beside the REST credential).
func WithSOAPFallback() Option {
	return func(s *settings) error { s.fallback = true; return nil }
}

// Client talks to ECGrid over the chosen transport. It is safe for
// concurrent use; create one and share it. Formatting a Client never shows a
// credential.
type Client struct {
	transport Transport
	users     clientUsers
	primary   core.Users
	fallback  core.Users // nil without WithSOAPFallback
	static    *core.StaticCredentials
	cfg       core.Config
	timeout   time.Duration
	retry     RetryPolicy
	logger    *slog.Logger
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
		namespace:   DefaultSOAPNamespace,
		retry:       DefaultRetryPolicy(),
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
	restURL, err := core.CheckURL("the REST URL", s.restURL, s.insecure)
	if err != nil {
		return nil, fmt.Errorf("ecgrid: New: %w", err)
	}
	soapURL, err := core.CheckURL("the SOAP URL", s.soapURL, s.insecure)
	if err != nil {
		return nil, fmt.Errorf("ecgrid: New: %w", err)
	}
	ua := "ecgrid-go/" + Version
	if s.uaSuffix != "" {
		ua += " " + s.uaSuffix
	}
	c := &Client{transport: s.transport, timeout: s.timeout, retry: s.retry, logger: s.logger}
	var source core.CredentialsSource
	if s.provider != nil {
		source = s.provider
	} else {
		c.static = core.NewStaticCredentials(s.creds)
		source = c.static
	}
	c.cfg = core.Config{
		HTTPClient:  core.PrepareHTTPClient(s.httpClient),
		Credentials: source,
		UserAgent:   ua,
		RESTBase:    restURL,
		SOAPURL:     soapURL,
		SOAP12:      s.soapVersion == SOAP12,
		Namespace:   s.namespace,
	}
	c.primary, c.fallback = c.transports(c.cfg, s.fallback)
	c.users = clientUsers{c}
	return c, nil
}

// transports builds the primary transport and, with fallback, the SOAP one.
func (c *Client) transports(cfg core.Config, fallback bool) (primary, secondary core.Users) {
	if c.transport == SOAP {
		return soap.New(cfg), nil
	}
	if fallback {
		secondary = soap.New(cfg)
	}
	return rest.New(cfg), secondary
}

func (s *settings) check() error {
	if s.fallback && s.transport != REST {
		return errors.New("WithSOAPFallback needs REST as the primary transport")
	}
	if s.provider != nil {
		if s.creds != (Credentials{}) {
			return errors.New("WithCredentialsProvider can't be combined with WithAPIKey, WithSessionID or WithBearerToken")
		}
		return nil
	}
	return usable(s.creds, s.transport, s.fallback)
}

// usable reports whether the transport (and the fallback) can authenticate with c.
func usable(c Credentials, t Transport, fallback bool) error {
	if c == (Credentials{}) {
		return errors.New("no credential: give WithAPIKey, WithSessionID (SOAP), WithBearerToken (REST) or WithCredentialsProvider")
	}
	if err := core.ValidateCredentials(c); err != nil {
		return err
	}
	if _, _, ok := core.RESTHeader(c); t == REST && !ok {
		return errors.New("the REST transport can't use a SOAP session ID: give WithAPIKey or WithBearerToken")
	}
	if _, ok := core.SOAPSession(c); (t == SOAP || fallback) && !ok {
		return errors.New("the SOAP transport can't use a bearer token: give WithAPIKey or WithSessionID")
	}
	return nil
}

// Users returns the client's Users: GenerateAPIKey and GetAPIKey over the
// configured transport, with its retries and fallback.
func (c *Client) Users() Users { return c.users }

// Transport returns the primary transport, REST or SOAP.
func (c *Client) Transport() Transport { return c.transport }

// SetCredentials replaces the client's credentials; calls already under way
// keep the ones they started with. It is safe to call concurrently with
// requests. It fails if the client uses a CredentialsProvider or if the
// transport can't use creds.
func (c *Client) SetCredentials(creds Credentials) error {
	if c.static == nil {
		return errors.New("ecgrid: SetCredentials: the client takes its credentials from a CredentialsProvider")
	}
	if err := usable(creds, c.transport, c.fallback != nil); err != nil {
		return fmt.Errorf("ecgrid: SetCredentials: %w", err)
	}
	c.static.Set(creds)
	return nil
}

// String describes the client's transport and endpoint, never a credential.
func (c *Client) String() string {
	if c.transport == SOAP {
		v := SOAP11
		if c.cfg.SOAP12 {
			v = SOAP12
		}
		return fmt.Sprintf("ecgrid.Client{SOAP %s %s}", v, c.cfg.SOAPURL.Redacted())
	}
	s := fmt.Sprintf("ecgrid.Client{REST %s", c.cfg.RESTBase.Redacted())
	if c.fallback != nil {
		s += " fallback SOAP " + c.cfg.SOAPURL.Redacted()
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
	return u.c.call(ctx, core.OpGenerateAPIKey, userID)
}

// GetAPIKey implements Users.GetAPIKey with the client's retries and
// fallback.
func (u clientUsers) GetAPIKey(ctx context.Context, userID int) (string, error) {
	return u.c.call(ctx, core.OpGetAPIKey, userID)
}

// Format never shows a credential.
func (u clientUsers) Format(f fmt.State, verb rune) { u.c.Format(f, verb) }

// StaticProvider returns a CredentialsProvider that always supplies c. It is
// mostly useful in tests; a Client given fixed credentials with WithAPIKey
// and friends can change them with SetCredentials.
func StaticProvider(c Credentials) CredentialsProvider { return core.NewStaticCredentials(c) }
