// Package rest is a single-attempt client of the ECGrid REST API (JSON over
// HTTPS, v2), built on resty: it sends one request and reports what the
// service answered, as a result or as an *Error of protocol facts (HTTP
// status, errorCode, message, whether the request may have left).
//
// It does not retry, fall back or decide what a failure means for a key
// rotation: package ecgrid does that on top of it, and is what most programs
// should use. This package is for programs that want the raw calls.
//
// A Client never follows a redirect (it reports it as an *Error), neither
// sends nor stores cookies, reads at most 1 MiB of any answer, and never puts
// a credential, password or key in an error.
package rest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-resty/resty/v2"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// DefaultBaseURL is the base URL of ECGrid's production REST API.
const DefaultBaseURL = "https://rest.ecgrid.io"

// The operations of the REST API this package calls, as named in Error.Op.
const (
	OpGenerateAPIKey = "GenerateAPIKey" // POST /v2/users/key-generate/{id}
	OpGetAPIKey      = "GetAPIKey"      // GET /v2/users/key/{id}
	OpLogin          = "Login"          // POST /v2/auth/login
	OpRefresh        = "Refresh"        // POST /v2/auth/refresh
	OpLogout         = "Logout"         // POST /v2/auth/logout
	OpMe             = "Me"             // GET /v2/users/me
)

// ErrInvalidInput is wrapped by the *Error a call returns, without sending
// anything, when its input can't be sent: a user ID out of 1..2147483647,
// a missing or unprintable credential or password.
var ErrInvalidInput = errors.New("invalid input")

// Config configures a Client.
type Config struct {
	// BaseURL is the base URL of the API, such as DefaultBaseURL or a test
	// server's URL: absolute, http or https, without user info, query or
	// fragment. Its path, if any, prefixes every route.
	BaseURL string
	// HTTPClient sends the requests. It is copied, never modified: the copy
	// follows no redirect and has no cookie jar. nil means a client with a
	// pooled transport.
	HTTPClient *http.Client
	// UserAgent is the User-Agent header; empty means "ecgrid-go-rest".
	UserAgent string
}

// Client makes single REST calls. It is safe for concurrent use.
type Client struct {
	r    *resty.Client
	base *url.URL
	// URL prefixes of the routes.
	gen, get, login, refresh, logout, me string
}

// New returns a Client for cfg. It makes no network call, and fails only
// when the base URL is unusable.
func New(cfg Config) (*Client, error) {
	base, err := wire.ParseEndpoint("rest", "the base URL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = "ecgrid-go-rest"
	}
	r := resty.NewWithClient(wire.HTTPClient(cfg.HTTPClient)).
		SetLogger(nopLogger{}).
		SetHeader("User-Agent", ua).
		SetHeader("Accept", "application/json")
	b := strings.TrimRight(base.String(), "/")
	return &Client{
		r:       r,
		base:    base,
		gen:     b + "/v2/users/key-generate/",
		get:     b + "/v2/users/key/",
		login:   b + "/v2/auth/login",
		refresh: b + "/v2/auth/refresh",
		logout:  b + "/v2/auth/logout",
		me:      b + "/v2/users/me",
	}, nil
}

// Format prints the client's base URL, never a credential.
func (c *Client) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "rest.Client{%s}", c.base.Redacted()) }

// Auth is the credential of one call: an API key, sent as X-API-Key, or
// else a bearer token from Login, sent as Authorization: Bearer. Every
// encoding of an Auth (fmt, encoding/json, encoding/xml, log/slog) shows
// which is set, never its value.
type Auth struct {
	APIKey      string
	BearerToken string
}

// header returns the credential header's name and value, or an error
// saying why it can't be sent: none is set, or it is not printable text.
func (a Auth) header() (name, value string, err error) {
	switch {
	case a.APIKey != "":
		return "X-API-Key", a.APIKey, wire.CheckSecret("API key", a.APIKey)
	case a.BearerToken != "":
		return "Authorization", "Bearer " + a.BearerToken, wire.CheckSecret("bearer token", a.BearerToken)
	}
	return "", "", errors.New("no API key or bearer token is set")
}

// Token is a session from Login or Refresh. Every encoding of a Token shows
// its expiry and user ID, never the token.
type Token struct {
	// Token is the JWT to send as Authorization: Bearer.
	Token string
	// ExpiresAt is when the token stops working; zero if the service did not
	// say or sent a time that is not RFC 3339.
	ExpiresAt time.Time
	// UserID is the user the token authenticates.
	UserID int
}

// User is the answer of GET /v2/users/me: who a credential belongs to.
// Strings are as the service sent them, with characters that are not
// printable escaped, and cut to at most 256 bytes.
type User struct {
	UserID    int       `json:"userId"`
	Login     string    `json:"login"`
	Email     string    `json:"email"`
	FirstName string    `json:"firstName"`
	LastName  string    `json:"lastName"`
	NetworkID int       `json:"networkId"`
	MailboxID int       `json:"mailboxId"`
	AuthLevel string    `json:"authLevel"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
}

// GenerateAPIKey sends POST /v2/users/key-generate/{userID} once and
// returns the new key. The user's previous key stops working when the
// service processes the call. On failure it returns an *Error.
func (c *Client) GenerateAPIKey(ctx context.Context, auth Auth, userID int) (string, error) {
	return c.keyCall(ctx, OpGenerateAPIKey, http.MethodPost, c.gen, auth, userID)
}

// GetAPIKey sends GET /v2/users/key/{userID} once and returns the user's
// current key. On failure it returns an *Error.
func (c *Client) GetAPIKey(ctx context.Context, auth Auth, userID int) (string, error) {
	return c.keyCall(ctx, OpGetAPIKey, http.MethodGet, c.get, auth, userID)
}

func (c *Client) keyCall(ctx context.Context, op, method, prefix string, auth Auth, userID int) (string, error) {
	if userID < 1 || userID > 1<<31-1 {
		return "", invalid(op, fmt.Sprintf("user ID %d is out of range 1..2147483647", userID))
	}
	name, value, err := auth.header()
	if err != nil {
		return "", invalid(op, err.Error())
	}
	return c.do(ctx, op, method, prefix+strconv.Itoa(userID), name, value, nil, nil, auth.APIKey, auth.BearerToken)
}

// Login sends POST /v2/auth/login with the login name and password, without
// a credential header, and returns the session's token. A wrong login or
// password is an *Error with HTTP 401.
func (c *Client) Login(ctx context.Context, login, password string) (Token, error) {
	if err := wire.CheckText("login", login, false); err != nil {
		return Token{}, invalid(OpLogin, err.Error())
	}
	if err := wire.CheckSecret("password", password); err != nil {
		return Token{}, invalid(OpLogin, err.Error())
	}
	body, _ := json.Marshal(struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}{login, password})
	var t tokenData
	if _, err := c.do(ctx, OpLogin, http.MethodPost, c.login, "", "", body, &t, password); err != nil {
		return Token{}, err
	}
	return t.token(), nil
}

// Refresh sends POST /v2/auth/refresh with a token and returns a new one;
// the old one may stop working. An expired or unknown token is an *Error
// with HTTP 401.
func (c *Client) Refresh(ctx context.Context, token string) (Token, error) {
	if err := wire.CheckSecret("bearer token", token); err != nil {
		return Token{}, invalid(OpRefresh, err.Error())
	}
	body, _ := json.Marshal(struct {
		Token string `json:"token"`
	}{token})
	var t tokenData
	if _, err := c.do(ctx, OpRefresh, http.MethodPost, c.refresh, "", "", body, &t, token); err != nil {
		return Token{}, err
	}
	return t.token(), nil
}

// Logout sends POST /v2/auth/logout with the credential, ending the
// session of a bearer token. On failure it returns an *Error.
func (c *Client) Logout(ctx context.Context, auth Auth) error {
	name, value, err := auth.header()
	if err != nil {
		return invalid(OpLogout, err.Error())
	}
	_, err = c.do(ctx, OpLogout, http.MethodPost, c.logout, name, value, nil, &loggedOut{}, auth.APIKey, auth.BearerToken)
	return err
}

// loggedOut is the (ignored) data of a logout answer.
type loggedOut struct{}

// Me sends GET /v2/users/me and returns who the credential belongs to. On
// failure it returns an *Error.
func (c *Client) Me(ctx context.Context, auth Auth) (User, error) {
	name, value, err := auth.header()
	if err != nil {
		return User{}, invalid(OpMe, err.Error())
	}
	var u User
	if _, err := c.do(ctx, OpMe, http.MethodGet, c.me, name, value, nil, &u, auth.APIKey, auth.BearerToken); err != nil {
		return User{}, err
	}
	return u, nil
}

// do sends one request and returns the answer's key (out nil), or decodes
// its data into out (*tokenData, *User, *loggedOut).
func (c *Client) do(ctx context.Context, op, method, u, header, value string, body []byte, out any, secrets ...string) (string, error) {
	if err := ctx.Err(); err != nil {
		// Positive evidence: the request is not even handed to the client.
		return "", &Error{Op: op, NotSent: true, Err: err}
	}
	tctx, ev := wire.Trace(ctx)
	// The body is read below, through the size limit into a pooled buffer:
	// resty's own reading allocates as it grows and parses nothing we need.
	req := c.r.R().SetContext(tctx).SetDoNotParseResponse(true)
	if header != "" {
		req.SetHeader(header, value)
	}
	switch {
	case body != nil:
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	case method == http.MethodPost:
		// No body: send "Content-Length: 0". Without it resty hands net/http
		// an empty reader of unknown length, which goes out chunked.
		req.SetContentLength(true)
	}
	resp, err := req.Execute(method, u)
	if err != nil || resp == nil || resp.RawResponse == nil {
		if err == nil {
			err = errors.New("no response")
		}
		ev.Drop()
		return "", &Error{Op: op, NotSent: ev.NotSent(), Err: wire.ScrubURLError(err)}
	}
	raw := resp.RawResponse
	defer raw.Body.Close()
	// An answer came: the request is over, and its trace will not fire again.
	defer ev.Release()
	if raw.StatusCode < 200 {
		// A 1xx as the final answer (101 Switching Protocols): its "body"
		// is the raw connection, which would be read until the server
		// closes it. Don't read it.
		return "", &Error{Op: op, StatusCode: raw.StatusCode, Problem: "an informational (1xx) answer came as the final answer"}
	}
	buf, rerr := wire.ReadBody(raw.Body)
	defer buf.Release()
	if rerr != nil {
		return "", &Error{Op: op, StatusCode: raw.StatusCode, Problem: "the answer could not be read", Err: rerr,
			RetryAfter: wire.RetryAfter(raw.StatusCode, raw.Header, time.Now())}
	}
	return c.parse(op, raw.StatusCode, raw.Header, buf.Bytes(), out, secrets)
}

type envelope struct {
	Success   *bool           `json:"success"`
	Data      json.RawMessage `json:"data"`
	ErrorCode string          `json:"errorCode"`
	Message   string          `json:"message"`
}

// Bounds on the server text kept in an *Error.
const (
	maxCode    = 64
	maxMessage = 512
)

// parse turns one answer into a key (out nil), data decoded into out, or an
// *Error. It is the transport's single reader of answers.
func (c *Client) parse(op string, status int, h http.Header, body []byte, out any, secrets []string) (string, error) {
	body = wire.TrimBOM(body)
	ok2xx := status >= 200 && status <= 299
	if status >= 300 && status < 400 {
		return "", &Error{Op: op, StatusCode: status, Problem: wire.RedirectMessage(h.Get("Location"), c.base, secrets...)}
	}
	var env envelope
	// encoding/json turns invalid UTF-8 into U+FFFD: such a body is not trusted.
	isEnvelope := utf8.Valid(body) && decodeEnvelope(body, &env) && env.Success != nil
	if isEnvelope && *env.Success && ok2xx {
		if strings.TrimSpace(env.ErrorCode) != "" {
			// Success and an error at once: which is true is unknown.
			return "", &Error{Op: op, StatusCode: status, Problem: "the answer reports success and an error code at once"}
		}
		key, problem := decodeData(env.Data, out)
		if problem == "" {
			return key, nil
		}
		return "", &Error{Op: op, StatusCode: status, Problem: problem}
	}
	e := &Error{Op: op, StatusCode: status, RetryAfter: wire.RetryAfter(status, h, time.Now())}
	switch {
	case isEnvelope && !*env.Success:
		e.Envelope = true
		e.ErrorCode = wire.Text(strings.TrimSpace(env.ErrorCode), maxCode, secrets...)
		e.Message = wire.Text(strings.TrimSpace(env.Message), maxMessage, secrets...)
	case isEnvelope:
		e.Problem = "the answer reports success with HTTP " + strconv.Itoa(status)
	default:
		e.Problem = "the answer is not an ECGrid JSON envelope"
		if ct := h.Get("Content-Type"); ct != "" {
			e.Problem += " (" + wire.Text(ct, 64, secrets...) + ")"
		}
	}
	return "", e
}

// decodeData returns a success's key (out nil) or decodes its data into
// out; problem says what is wrong with it, or is "".
func decodeData(data json.RawMessage, out any) (key, problem string) {
	switch out := out.(type) {
	case nil:
		var err error
		if key, err = jsonString(data); err != nil || key == "" {
			return "", "the answer reports success but holds no key"
		}
		if wire.CheckSecret("key", key) != nil {
			return "", "the key in the answer is not printable text"
		}
		return key, ""
	case *loggedOut:
	case *tokenData:
		var t tokenData
		if err := json.Unmarshal(data, &t); err != nil || t.Token == "" {
			return "", "the answer reports success but holds no token"
		}
		if wire.CheckSecret("token", t.Token) != nil {
			return "", "the token in the answer is not printable text"
		}
		*out = t
	case *User:
		var u User
		if err := json.Unmarshal(data, &u); err != nil || u.UserID <= 0 {
			return "", "the answer reports success but holds no user"
		}
		for _, s := range []*string{&u.Login, &u.Email, &u.FirstName, &u.LastName, &u.AuthLevel, &u.Status} {
			*s = wire.Text(*s, 256)
		}
		*out = u
	}
	return "", ""
}

// tokenData is the data of a login or refresh answer.
type tokenData struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
	UserID    int    `json:"userId"`
}

func (t tokenData) token() Token {
	if t.Token == "" {
		return Token{}
	}
	exp, _ := time.Parse(time.RFC3339, t.ExpiresAt)
	return Token{Token: t.Token, ExpiresAt: exp, UserID: t.UserID}
}

// jsonString decodes a JSON value, which must be valid UTF-8 (parse
// decodes only such answers), as json.Unmarshal into a string does. A plain
// string (no escapes: every key) is sliced out directly, which gives the
// same result without a second decoder pass, and without the heap string
// json.Unmarshal needs to decode into.
func jsonString(raw json.RawMessage) (string, error) {
	if v, next, ok := plainString(raw, 0); ok && next == len(raw) {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

type nopLogger struct{}

func (nopLogger) Errorf(string, ...interface{}) {}
func (nopLogger) Warnf(string, ...interface{})  {}
func (nopLogger) Debugf(string, ...interface{}) {}
