package wire

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ParseEndpoint parses the URL a transport's Config gives: absolute, http or
// https, with a host, without user info, query or fragment. Its errors start
// with pkg ("rest") and call the URL what ("the base URL").
func ParseEndpoint(pkg, what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || raw == "":
		return nil, fmt.Errorf("%s: %s %q is not a valid URL", pkg, what, raw)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return nil, fmt.Errorf("%s: %s %q is not an absolute http(s) URL", pkg, what, raw)
	case u.User != nil:
		return nil, fmt.Errorf("%s: %s must not contain user info", pkg, what)
	case strings.ContainsAny(raw, "?#"):
		return nil, fmt.Errorf("%s: %s %q must not have a query or fragment", pkg, what, raw)
	}
	return u, nil
}

// DefaultMaxIdleConnsPerHost is how many idle connections per host the
// default transport keeps for reuse: enough for many goroutines sharing one
// client, where net/http's default keeps 2 and dials again for every burst.
const DefaultMaxIdleConnsPerHost = 256

// DefaultTransport returns the transport a client uses when the caller gives
// none: net/http's defaults, with DefaultMaxIdleConnsPerHost idle
// connections per host, at most maxConnsPerHost connections per host (0:
// no cap, so no caller ever queues behind one), and a dialer that prefers a
// connection coming free to a new one (see PreferIdle).
func DefaultTransport(maxConnsPerHost int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = newDialer().DialContext
	t.MaxIdleConns = 2 * DefaultMaxIdleConnsPerHost
	t.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	t.MaxConnsPerHost = maxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// HTTPClient is HTTPClientConns(hc, 0).
func HTTPClient(hc *http.Client) *http.Client { return HTTPClientConns(hc, 0) }

// HTTPClientConns returns the client a transport sends with: a copy of hc
// (nil: an empty client), with DefaultTransport(maxConnsPerHost) if it had
// no transport, that never follows a redirect and neither sends nor stores
// cookies. A redirect is handed back as the 3xx answer, for the transport to
// report: following one could send the credential to another host or turn a
// POST into a GET. It never fails.
func HTTPClientConns(hc *http.Client, maxConnsPerHost int) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	if c.Transport == nil {
		c.Transport = DefaultTransport(maxConnsPerHost)
	}
	c.Jar = nil
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// RedirectMessage describes a 3xx answer without the full target: it names
// the other host, with secrets redacted, when the Location points elsewhere
// than base.
func RedirectMessage(location string, base *url.URL, secrets ...string) string {
	if u, err := url.Parse(location); err == nil && u.Host != "" && base != nil && !strings.EqualFold(u.Host, base.Host) {
		return "the service redirected to another host (" + Text(u.Hostname(), 100, secrets...) +
			"); the redirect was not followed, so the credential was not sent there"
	}
	return "the service answered with a redirect, which is never followed"
}

// ScrubURLError drops the *url.Error wrapper of a client error: its text
// repeats the method and URL, which the operation already names.
func ScrubURLError(err error) error {
	if uerr, ok := err.(*url.Error); ok {
		return uerr.Err
	}
	return err
}
