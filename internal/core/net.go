package core

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxBodySize bounds every response body read: a key is tens of bytes, an
// error envelope or fault a few hundred, so anything larger is refused.
const MaxBodySize = 1 << 20

// ErrBodyTooLarge is the cause when a response body exceeds MaxBodySize.
var ErrBodyTooLarge = fmt.Errorf("response body larger than %d bytes", MaxBodySize)

// Tracker records whether the request was written to a connection.
type Tracker struct{ wrote atomic.Bool }

// Track returns a context whose requests report to t.
func Track(ctx context.Context) (context.Context, *Tracker) {
	t := &Tracker{}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { t.wrote.Store(true) },
	}), t
}

// Sent reports whether any part of the request may have reached the server.
func (t *Tracker) Sent() bool { return t.wrote.Load() }

// NetworkError builds the error for a request that got no HTTP answer. The
// outcome is unknown when the request was written (or the error does not
// prove it was not); it is certain only for failures before sending.
func NetworkError(op, transport string, userID int, err error, sent bool) *Error {
	e := &Error{Op: op, Transport: transport, UserID: userID, Kind: ErrUnavailable, Err: scrubURLError(err)}
	if sent && !NotSent(err) {
		e.Outcome = OutcomeUnknown
		e.Message = "no answer after the request was sent"
	} else {
		e.Message = "the request was not sent"
	}
	return e
}

// NotSent reports whether err proves the request never reached the server:
// a failed dial or DNS lookup, or a failed TLS handshake.
func NotSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var recErr tls.RecordHeaderError
	if errors.As(err, &recErr) {
		return true
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return true
	}
	var unkAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	return errors.As(err, &unkAuth) || errors.As(err, &hostErr) || errors.As(err, &invErr)
}

// scrubURLError drops the *url.Error wrapper, whose text repeats the URL; the
// URL carries no secret, but the operation already names the call.
func scrubURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// MaxConnsPerHost bounds the connections the default transport opens to one
// host; more concurrent requests wait for a free connection.
const MaxConnsPerHost = 64

// PrepareHTTPClient returns a copy of hc (or a default client), with a pooled
// transport if it has none, that never follows redirects: ECGrid does not redirect API calls, and following one
// could send the credential to another host or turn a POST into a GET. The
// 3xx answer is handed back to the transport, which reports it.
func PrepareHTTPClient(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	if c.Transport == nil {
		// Enough idle connections per host for many goroutines sharing one
		// client, instead of net/http's default of 2, and a cap on open
		// ones: without it, concurrent requests that find no idle connection
		// each dial one and keep it, overshooting at every burst.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = MaxConnsPerHost
		t.MaxConnsPerHost = MaxConnsPerHost
		c.Transport = t
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// RedirectError describes a 3xx answer without revealing the full target.
func RedirectError(op, transport string, userID, status int, location string, base *url.URL) *Error {
	msg := "the service answered with a redirect, which is never followed"
	if u, err := url.Parse(location); err == nil && u.Host != "" && base != nil && !strings.EqualFold(u.Host, base.Host) {
		msg = "the service redirected to another host (" + u.Hostname() + "); not followed, so the credential was not sent there"
	}
	return &Error{Op: op, Transport: transport, UserID: userID, StatusCode: status, Kind: ErrRedirect, Message: msg}
}

// CheckURL parses an endpoint URL: absolute, http or https, with a host and no
// user info; http only for loopback hosts unless insecure is set.
func CheckURL(what, raw string, insecure bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s is empty", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a valid URL", what, raw)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%s %q must start with https:// (or http:// for a loopback host)", what, raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%s %q has no host", what, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s must not contain user info", what)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q must not have a query or fragment", what, raw)
	}
	if u.Scheme == "http" && !insecure && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s %q uses plain http:// to a host that is not loopback; use https:// (credentials would travel unencrypted)", what, raw)
	}
	return u, nil
}

// IsLoopback reports whether host is localhost, 127.0.0.0/8 or ::1. It does no lookup.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ReadBody reads an answer's body, at most MaxBodySize bytes of it, into a
// pooled buffer. The bytes are valid until release is called.
func ReadBody(body io.Reader) (b []byte, release func(), err error) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	release = func() {
		if buf.Cap() <= 64<<10 {
			bodyPool.Put(buf)
		}
	}
	_, err = buf.ReadFrom(io.LimitReader(body, MaxBodySize+1))
	if err == nil && buf.Len() > MaxBodySize {
		err = ErrBodyTooLarge
	}
	return buf.Bytes(), release, err
}

// BodyError is the error for an answer whose body could not be read in
// full: truncated, cut off by a timeout, or larger than MaxBodySize. After a
// 2xx the request was processed and the key is lost with the body, so the
// outcome is unknown.
func BodyError(op, transport string, userID, status int, err error) *Error {
	kind := ErrBadResponse
	if status < 200 || status > 299 {
		kind = KindForStatus(status)
	}
	return &Error{Op: op, Transport: transport, UserID: userID, StatusCode: status, Kind: kind,
		Outcome: StatusOutcome(kind, status), Message: "the answer could not be read", Err: err}
}
