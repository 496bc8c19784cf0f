// Package rest is the REST transport behind ecgrid.Client: JSON over HTTPS
// with the X-API-Key header (or a bearer token), built on resty v2.
//
// Use ecgrid.New to get a client; this package has no public constructor of
// its own that callers outside the module can use.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-resty/resty/v2"

	"github.com/ecgridkit/ecgrid/internal/core"
)

// Client performs single REST attempts; retries and fallback live in the
// ecgrid package. It is safe for concurrent use.
type Client struct {
	r     *resty.Client
	base  *url.URL
	gen   string // URL prefix for key generation, ends in "/"
	get   string // URL prefix for reading a key, ends in "/"
	creds core.CredentialsSource
}

var _ core.Users = (*Client)(nil)

// New returns a REST transport for a configuration ecgrid.New validated;
// it cannot fail and makes no network call.
func New(cfg core.Config) *Client {
	hc := *cfg.HTTPClient // resty adjusts the client it is given: give it its own copy
	r := resty.NewWithClient(&hc).
		SetLogger(nopLogger{}).
		SetCookieJar(nil).
		SetHeader("User-Agent", cfg.UserAgent).
		SetHeader("Accept", "application/json")
	base := cfg.RESTBase.String()
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return &Client{
		r:     r,
		base:  cfg.RESTBase,
		gen:   base + "/v2/users/key-generate/",
		get:   base + "/v2/users/key/",
		creds: cfg.Credentials,
	}
}

// Format prints the transport's name and endpoint, never a credential.
func (c *Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "rest.Client{%s}", c.base.Redacted())
}

// GenerateAPIKey sends POST /v2/users/key-generate/{id} once and returns
// the new key, or an *ecgrid.Error with its kind and outcome.
func (c *Client) GenerateAPIKey(ctx context.Context, userID int) (string, error) {
	return c.do(ctx, core.OpGenerateAPIKey, http.MethodPost, c.gen, userID)
}

// GetAPIKey sends GET /v2/users/key/{id} once and returns the key, or an
// *ecgrid.Error.
func (c *Client) GetAPIKey(ctx context.Context, userID int) (string, error) {
	return c.do(ctx, core.OpGetAPIKey, http.MethodGet, c.get, userID)
}

func (c *Client) do(ctx context.Context, op, method, prefix string, userID int) (string, error) {
	creds, err := c.creds.Credentials(ctx)
	if err != nil {
		return "", core.NewError(op, core.TransportREST, userID, core.ErrUnauthorized, "the credentials provider failed", err)
	}
	header, value, ok := core.RESTHeader(creds)
	if !ok {
		return "", core.NewError(op, core.TransportREST, userID, core.ErrInvalidInput,
			"no API key or bearer token is set: REST can't use a SOAP session ID", core.ErrNoCredentials)
	}
	if err := core.ValidateCredentials(creds); err != nil {
		return "", core.NewError(op, core.TransportREST, userID, core.ErrInvalidInput, err.Error(), nil)
	}
	tctx, tr := core.Track(ctx)
	// The body is read here, through the size limit into a pooled buffer:
	// resty's own reading allocates as it grows and parses nothing we need.
	req := c.r.R().SetContext(tctx).SetHeader(header, value).SetDoNotParseResponse(true)
	if method == http.MethodPost {
		// No body: send "Content-Length: 0". Without it resty hands net/http
		// an empty reader of unknown length, which goes out chunked after a
		// read-all copy of nothing.
		req.SetContentLength(true)
	}
	resp, err := req.Execute(method, prefix+strconv.Itoa(userID))
	if err != nil || resp == nil || resp.RawResponse == nil {
		if err == nil {
			err = errors.New("no response")
		}
		return "", core.NetworkError(op, core.TransportREST, userID, err, tr.Sent())
	}
	raw := resp.RawResponse
	defer raw.Body.Close()
	body, release, err := core.ReadBody(raw.Body)
	defer release()
	if err != nil {
		return "", core.BodyError(op, core.TransportREST, userID, raw.StatusCode, err)
	}
	return parse(op, userID, c.base, raw.StatusCode, raw.Header, body, core.Secrets(creds))
}

type envelope struct {
	Success   *bool           `json:"success"`
	Data      json.RawMessage `json:"data"`
	ErrorCode string          `json:"errorCode"`
	Message   string          `json:"message"`
}

const maxMessage = 512

// parse turns one REST answer into a key or an *core.Error. It is the single
// classifier of the REST transport.
func parse(op string, userID int, base *url.URL, status int, h http.Header, body []byte, secrets []string) (string, error) {
	if status >= 300 && status < 400 {
		return "", core.RedirectError(op, core.TransportREST, userID, status, h.Get("Location"), base)
	}
	var env envelope
	// encoding/json would turn invalid UTF-8 into U+FFFD: such a body is not trusted.
	isEnvelope := utf8.Valid(body) && json.Unmarshal(body, &env) == nil && env.Success != nil
	ok2xx := status >= 200 && status <= 299
	e := &core.Error{Op: op, Transport: core.TransportREST, UserID: userID, StatusCode: status}
	if isEnvelope && *env.Success && ok2xx {
		var key string
		if err := jsonString(env.Data, &key); err == nil && key != "" {
			if core.CheckSecret("key", key) == nil {
				return key, nil
			}
			e.Message = "the key in the answer contains characters a key can't have"
		} else {
			e.Message = "the answer reports success but holds no key"
		}
		e.Kind, e.Outcome = core.ErrBadResponse, core.OutcomeUnknown
		return "", e
	}
	if isEnvelope {
		e.Code = core.Truncate(core.Redact(env.ErrorCode, secrets...), 64)
		e.Message = core.Truncate(core.Redact(env.Message, secrets...), maxMessage)
	}
	e.Kind = core.KindForRefusal(status)
	if e.Kind == nil {
		e.Kind = core.KindForCode(e.Code)
	}
	if e.Kind == nil {
		switch {
		case ok2xx && isEnvelope:
			e.Kind = core.ErrBadResponse
			if e.Message == "" {
				e.Message = "the answer reports success:false without an error code"
			}
		case ok2xx:
			e.Kind = core.ErrBadResponse
			e.Message = "the answer is not an ECGrid JSON envelope"
		default:
			e.Kind = core.KindForStatus(status)
		}
	}
	if !isEnvelope && !ok2xx {
		e.Message = "the answer is not an ECGrid JSON envelope"
		if ct := h.Get("Content-Type"); ct != "" {
			e.Message += " (" + core.Truncate(core.Redact(ct, secrets...), 64) + ")"
		}
	}
	e.Outcome = core.StatusOutcome(e.Kind, e.StatusCode)
	if e.Kind == core.ErrRateLimited || status == http.StatusServiceUnavailable {
		e.RetryAfter = core.ParseRetryAfter(h.Get("Retry-After"), time.Now())
	}
	return "", e
}

// jsonString decodes a JSON value into s as json.Unmarshal does. A plain
// string (no escapes, valid UTF-8: every key) is sliced out directly, which
// gives the same result without a second decoder pass.
func jsonString(raw json.RawMessage, s *string) error {
	n := len(raw)
	if n < 2 || raw[0] != '"' || raw[n-1] != '"' || !utf8.Valid(raw) {
		return json.Unmarshal(raw, s)
	}
	for _, c := range raw[1 : n-1] {
		if c == '\\' || c == '"' {
			return json.Unmarshal(raw, s)
		}
	}
	*s = string(raw[1 : n-1])
	return nil
}

type nopLogger struct{}

func (nopLogger) Errorf(string, ...interface{}) {}
func (nopLogger) Warnf(string, ...interface{})  {}
func (nopLogger) Debugf(string, ...interface{}) {}
