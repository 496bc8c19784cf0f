// Package soap is the ECGridOS SOAP transport behind ecgrid.Client: SOAP 1.1
// or 1.2 envelopes built with escaped values and answers read with a
// streaming encoding/xml token decoder, by local element names.
//
// Use ecgrid.New to get a client; this package has no public constructor of
// its own that callers outside the module can use.
package soap

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ecgridkit/ecgrid/internal/core"
)

// Envelope namespaces.
const (
	NamespaceSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NamespaceSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
)

// Client performs single SOAP attempts; retries and fallback live in the
// ecgrid package. It is safe for concurrent use.
type Client struct {
	hc       *http.Client
	endpoint *url.URL
	url      string
	ua       string
	soap12   bool
	creds    core.CredentialsSource
	gen, get operation
}

// operation holds the prepared, escaped parts of one call.
type operation struct {
	name        string // SOAP operation name
	op          string // core operation name
	response    string // <name>Response
	result      string // <name>Result
	contentType string
	action      string // SOAPAction header value (1.1), quoted
	head        string // envelope up to the SessionID text
	mid         string // between SessionID and UserID
	tail        string // after UserID
}

var _ core.Users = (*Client)(nil)

// New returns a SOAP transport for a configuration ecgrid.New validated;
// it cannot fail and makes no network call.
func New(cfg core.Config) *Client {
	c := &Client{
		hc:       cfg.HTTPClient,
		endpoint: cfg.SOAPURL,
		url:      cfg.SOAPURL.String(),
		ua:       cfg.UserAgent,
		soap12:   cfg.SOAP12,
		creds:    cfg.Credentials,
	}
	c.gen = prepare("GenerateAPIKey", core.OpGenerateAPIKey, cfg.Namespace, cfg.SOAP12)
	c.get = prepare("UserGetAPIKey", core.OpGetAPIKey, cfg.Namespace, cfg.SOAP12)
	return c
}

// Action returns the SOAP action URI of an operation in a namespace, as ASMX
// forms it: the namespace, a slash if it has none at its end, the name.
func Action(namespace, name string) string {
	if strings.HasSuffix(namespace, "/") {
		return namespace + name
	}
	return namespace + "/" + name
}

func prepare(name, op, ns string, soap12 bool) operation {
	action := Action(ns, name)
	o := operation{name: name, op: op, response: name + "Response", result: name + "Result"}
	envNS := NamespaceSOAP11
	if soap12 {
		envNS = NamespaceSOAP12
		o.contentType = `application/soap+xml; charset=utf-8; action="` + action + `"`
	} else {
		o.contentType = "text/xml; charset=utf-8"
		o.action = `"` + action + `"`
	}
	o.head = `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + envNS + `"><soap:Body>` +
		`<` + name + ` xmlns="` + escape(ns) + `"><SessionID>`
	o.mid = `</SessionID><UserID>`
	o.tail = `</UserID></` + name + `></soap:Body></soap:Envelope>`
	return o
}

// Format prints the transport's name, version and endpoint, never a credential.
func (c *Client) Format(f fmt.State, _ rune) {
	v := "1.1"
	if c.soap12 {
		v = "1.2"
	}
	fmt.Fprintf(f, "soap.Client{SOAP %s %s}", v, c.endpoint.Redacted())
}

// GenerateAPIKey calls the GenerateAPIKey operation once and returns the new
// key, or an *ecgrid.Error with its kind and outcome.
func (c *Client) GenerateAPIKey(ctx context.Context, userID int) (string, error) {
	return c.do(ctx, &c.gen, userID)
}

// GetAPIKey calls the UserGetAPIKey operation once and returns the key, or
// an *ecgrid.Error.
func (c *Client) GetAPIKey(ctx context.Context, userID int) (string, error) {
	return c.do(ctx, &c.get, userID)
}

func (c *Client) do(ctx context.Context, o *operation, userID int) (string, error) {
	creds, err := c.creds.Credentials(ctx)
	if err != nil {
		return "", core.NewError(o.op, core.TransportSOAP, userID, core.ErrUnauthorized, "the credentials provider failed", err)
	}
	session, ok := core.SOAPSession(creds)
	if !ok {
		return "", core.NewError(o.op, core.TransportSOAP, userID, core.ErrInvalidInput,
			"no session ID or API key is set: SOAP can't use a bearer token", core.ErrNoCredentials)
	}
	if err := core.ValidateCredentials(creds); err != nil {
		return "", core.NewError(o.op, core.TransportSOAP, userID, core.ErrInvalidInput, err.Error(), nil)
	}

	body := envelope(o, session, userID)
	tctx, tr := core.Track(ctx)
	req, err := http.NewRequestWithContext(tctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return "", core.NewError(o.op, core.TransportSOAP, userID, core.ErrInvalidInput, "the request could not be built", err)
	}
	req.Header.Set("Content-Type", o.contentType)
	if o.action != "" {
		req.Header.Set("SOAPAction", o.action)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "text/xml, application/soap+xml")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", core.NetworkError(o.op, core.TransportSOAP, userID, err, tr.Sent())
	}
	defer resp.Body.Close()
	body, release, err := core.ReadBody(resp.Body)
	defer release()
	if err != nil {
		return "", core.BodyError(o.op, core.TransportSOAP, userID, resp.StatusCode, err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return "", core.RedirectError(o.op, core.TransportSOAP, userID, resp.StatusCode, resp.Header.Get("Location"), c.endpoint)
	}
	return classify(o, userID, resp.StatusCode, resp.Header, body, core.Secrets(creds))
}

// envelope returns the request body of operation o: every value escaped.
func envelope(o *operation, session string, userID int) []byte {
	b := make([]byte, 0, len(o.head)+len(session)+len(o.mid)+11+len(o.tail))
	b = append(b, o.head...)
	b = appendEscaped(b, session)
	b = append(b, o.mid...)
	b = strconv.AppendInt(b, int64(userID), 10)
	b = append(b, o.tail...)
	return b
}

func is2xx(status int) bool { return status >= 200 && status <= 299 }

func escape(s string) string { return string(appendEscaped(nil, s)) }

// appendEscaped appends s with the five XML special characters escaped.
func appendEscaped(b []byte, s string) []byte {
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
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}
