package ecgridtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecgridkit/ecgrid/soap"
)

// SOAPPath is the path of the SOAP (ASMX) endpoint, relative to the server's base URL.
const SOAPPath = "/v4.1/prod/ECGridOS.asmx"

// DefaultNamespace is the SOAP operation namespace used in answers unless WithNamespace is given.
const DefaultNamespace = "https://os.ecgrid.io/"

// MaxRequestBody is the largest request body the server reads (1 MiB); larger bodies get HTTP 413.
const MaxRequestBody = 1 << 20

// Operation names reported in Request.Op and matched by Fault.Op.
const (
	// OpGenerateAPIKey is the key rotation (REST key-generate, SOAP GenerateAPIKey).
	OpGenerateAPIKey = "GenerateAPIKey"
	// OpGetAPIKey is the key read (REST GET key, SOAP UserGetAPIKey).
	OpGetAPIKey = "GetAPIKey"
)

// Transport names reported in Request.Transport and matched by Fault.Transport.
const (
	// TransportREST is the REST JSON API.
	TransportREST = "rest"
	// TransportSOAP is the SOAP (ASMX) API.
	TransportSOAP = "soap"
)

// AuthLevel of a user. Higher value = more privilege.
type AuthLevel int

const (
	// AuthLevelUser is an ordinary user: it may act only on itself.
	AuthLevelUser AuthLevel = iota
	// AuthLevelNetworkAdmin may read and rotate other users' keys.
	AuthLevelNetworkAdmin
	// AuthLevelRoot is the highest level; it may do everything a NetworkAdmin may.
	AuthLevelRoot
)

// String returns the level's name.
func (l AuthLevel) String() string {
	switch l {
	case AuthLevelUser:
		return "User"
	case AuthLevelNetworkAdmin:
		return "NetworkAdmin"
	case AuthLevelRoot:
		return "Root"
	}
	return fmt.Sprintf("AuthLevel(%d)", int(l))
}

// User is a user seeded into the fake. ID should be a positive 32-bit integer (the
// only IDs the APIs can address). An empty APIKey means a random GUID-shaped key is
// generated. Two users may not share a key.
type User struct {
	ID     int
	Level  AuthLevel
	APIKey string
}

// String describes the user without revealing its key.
func (u User) String() string {
	return fmt.Sprintf("User{ID: %d, Level: %s, APIKey: %s}", u.ID, u.Level, mask(u.APIKey))
}

// GoString is like String, so that %#v does not reveal the key either.
func (u User) GoString() string { return "ecgridtest." + u.String() }

type config struct {
	users     []User
	sessions  []session
	addr      string
	ns        string
	wsdl      []byte
	basePath  string
	errorLog  *log.Logger
	addrGiven bool
}

type session struct {
	userID int
	id     string
}

// Option configures a Server created by NewServer or Start.
type Option func(*config)

// WithUser seeds a user. An empty APIKey is replaced by a random key; read it back
// with Server.Key.
func WithUser(u User) Option { return func(c *config) { c.users = append(c.users, u) } }

// WithSession seeds a SOAP SessionID (also accepted as a REST bearer token) for the
// user. Sessions are independent of keys: rotating the user's key leaves them valid.
func WithSession(userID int, sessionID string) Option {
	return func(c *config) { c.sessions = append(c.sessions, session{userID, sessionID}) }
}

// WithAddr sets the listen address. The default is "127.0.0.1:0" (falling back to
// "[::1]:0"): the server listens on loopback only unless given another address.
func WithAddr(addr string) Option {
	return func(c *config) { c.addr = addr; c.addrGiven = true }
}

// WithNamespace sets the SOAP operation namespace used in answers (default
// DefaultNamespace). Requests are accepted in any of the three known namespaces.
func WithNamespace(ns string) Option { return func(c *config) { c.ns = ns } }

// WithWSDL replaces the bytes served at GET <SOAP endpoint>?WSDL (the query key is
// matched case-insensitively); the default is the SDK's WSDL, soap.WSDL(), and nil
// makes that request get 404. As ASMX does, the location of every soap:address and
// soap12:address in it is rewritten to the server's own SOAPURL, so a client built
// from the WSDL calls the fake.
func WithWSDL(b []byte) Option {
	return func(c *config) {
		if b == nil {
			c.wsdl = nil
			return
		}
		c.wsdl = append([]byte(nil), b...)
	}
}

// WithBasePath mounts both APIs under a path prefix such as "/base", so that a client
// that ignores the path of its base URL fails. Server.URL and Server.SOAPURL include it.
func WithBasePath(p string) Option {
	return func(c *config) { c.basePath = "/" + strings.Trim(p, "/") }
}

// WithErrorLog sets the logger for net/http's internal errors (default: discard).
func WithErrorLog(l *log.Logger) Option { return func(c *config) { c.errorLog = l } }

type userState struct {
	id        int
	level     AuthLevel
	key       string
	rotations int
}

// Server is a running fake ECGrid server serving both the REST and the SOAP API.
// It is safe for concurrent use.
type Server struct {
	// URL is the REST base URL, e.g. "http://127.0.0.1:43123" (no trailing slash).
	URL string
	// SOAPURL is the SOAP endpoint: URL + "/v4.1/prod/ECGridOS.asmx".
	SOAPURL string

	ns       string
	wsdl     []byte
	basePath string

	mu       sync.Mutex
	users    map[int]*userState
	keys     map[string]int // current key -> user ID
	sessions map[string]int // session ID -> user ID
	faults   []*pendingFault
	reqs     []Request
	closed   bool
	hijacked map[net.Conn]struct{}

	ln        *countingListener
	srv       *http.Server
	closing   chan struct{}
	closeOnce sync.Once
	serveDone chan struct{}
	conns     sync.WaitGroup // live connections (StateNew .. StateClosed/StateHijacked)
	handlers  sync.WaitGroup // running handlers
}

// NewServer starts a server and returns it. It panics if it cannot listen or if the
// options are invalid, as httptest.NewServer does. Call Close when done.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic("ecgridtest: " + err.Error())
	}
	return s
}

// Start is like NewServer but returns an error instead of panicking.
func Start(opts ...Option) (*Server, error) {
	c := config{addr: "127.0.0.1:0", ns: DefaultNamespace, wsdl: soap.WSDL()}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.basePath == "/" {
		c.basePath = ""
	}
	s := &Server{
		ns:        c.ns,
		wsdl:      c.wsdl,
		basePath:  c.basePath,
		users:     make(map[int]*userState),
		keys:      make(map[string]int),
		sessions:  make(map[string]int),
		hijacked:  make(map[net.Conn]struct{}),
		closing:   make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	for _, u := range c.users {
		if _, err := s.addUser(u); err != nil {
			return nil, err
		}
	}
	for _, se := range c.sessions {
		s.sessions[se.id] = se.userID
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil && !c.addrGiven {
		var err6 error
		if ln, err6 = net.Listen("tcp6", "[::1]:0"); err6 == nil {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	s.ln = &countingListener{Listener: ln}

	host := ln.Addr().String()
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		loop := "127.0.0.1"
		if ta.IP.To4() == nil {
			loop = "::1"
		}
		host = net.JoinHostPort(loop, fmt.Sprint(ta.Port))
	}
	s.URL = "http://" + host + s.basePath
	s.SOAPURL = s.URL + SOAPPath
	s.wsdl = rewriteAddress(s.wsdl, s.SOAPURL)

	errLog := c.errorLog
	if errLog == nil {
		errLog = log.New(io.Discard, "", 0)
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          errLog,
		ConnState:         s.connState,
	}
	go func() {
		defer close(s.serveDone)
		_ = s.srv.Serve(s.ln)
	}()
	return s, nil
}

func (s *Server) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateHijacked, http.StateClosed:
		s.conns.Done()
	}
}

// Close shuts the server down: it stops listening, closes all connections (idle,
// active and hijacked), stops delayed handlers and waits for every handler and
// connection goroutine to finish. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		_ = s.srv.Close()
		<-s.serveDone
		s.mu.Lock()
		for c := range s.hijacked {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.handlers.Wait()
		s.conns.Wait()
	})
}

// AddUser seeds a user (replacing any user with the same ID, whose rotation count
// restarts at 0) and returns it with its key filled in. It panics if the key is
// already another user's key.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.addUser(u)
	if err != nil {
		panic("ecgridtest: " + err.Error())
	}
	return u
}

// addUser requires s.mu held (or s not yet shared).
func (s *Server) addUser(u User) (User, error) {
	if u.APIKey == "" {
		for {
			u.APIKey = newKey()
			if _, taken := s.keys[u.APIKey]; !taken {
				break
			}
		}
	} else if owner, taken := s.keys[u.APIKey]; taken && owner != u.ID {
		return User{}, fmt.Errorf("user %d: API key already belongs to user %d", u.ID, owner)
	}
	if old, ok := s.users[u.ID]; ok {
		delete(s.keys, old.key)
	}
	s.users[u.ID] = &userState{id: u.ID, level: u.Level, key: u.APIKey}
	s.keys[u.APIKey] = u.ID
	return u, nil
}

// AddSession adds a SOAP SessionID (also accepted as a REST bearer token) for the
// user. The user need not exist yet. An empty sessionID is ignored.
func (s *Server) AddSession(userID int, sessionID string) {
	if sessionID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sessionID] = userID
}

// Key returns the user's current API key, and false if there is no such user.
func (s *Server) Key(userID int) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return "", false
	}
	return u.key, true
}

// Rotations returns how many times the user's key was rotated (by either API,
// including rotations performed by faults with Apply or DropAfterApply).
func (s *Server) Rotations(userID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok {
		return u.rotations
	}
	return 0
}

// Accepted returns the number of TCP connections accepted so far.
func (s *Server) Accepted() int { return int(s.ln.accepted.Load()) }

// String describes the server without revealing any key or session ID.
func (s *Server) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("ecgridtest.Server{URL: %s, SOAPURL: %s, users: %d, sessions: %d, pendingFaults: %d, requests: %d}",
		s.URL, s.SOAPURL, len(s.users), len(s.sessions), len(s.faults), len(s.reqs))
}

// GoString is String, so that %#v does not reveal keys either.
func (s *Server) GoString() string { return s.String() }

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// newKey returns a random lowercase GUID-shaped key (version 4 layout).
func newKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ecgridtest: crypto/rand: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// enter registers a running handler; it reports false once Close has begun.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	return true
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()

	p := r.URL.Path
	if s.basePath != "" {
		if p != s.basePath && !strings.HasPrefix(p, s.basePath+"/") {
			s.logRequest(r, "", "", 0, "", "")
			notFound(w)
			return
		}
		p = strings.TrimPrefix(p, s.basePath)
	}
	switch {
	case strings.EqualFold(p, SOAPPath):
		s.serveSOAP(w, r)
	case strings.HasPrefix(p, restGeneratePrefix):
		s.serveREST(w, r, OpGenerateAPIKey, http.MethodPost, strings.TrimPrefix(p, restGeneratePrefix))
	case strings.HasPrefix(p, restGetPrefix):
		s.serveREST(w, r, OpGetAPIKey, http.MethodGet, strings.TrimPrefix(p, restGetPrefix))
	default:
		s.logRequest(r, "", "", 0, "", "")
		notFound(w)
	}
}

func notFound(w http.ResponseWriter) {
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// readBody reads the request body up to MaxRequestBody. ok is false (and a 413 has
// been written) if the body is too large or unreadable.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
		}
		return nil, false
	}
	return b, true
}

// errKind classifies failures of the real operation.
type errKind int

const (
	errNone       errKind = iota
	errBadCred            // credential missing, unknown or revoked
	errBadSession         // REST bearer token not valid
	errDenied             // caller may not act on that user
	errNotFound           // no such user
	errParam              // bad user ID
)

// opError is a failure of the real operation.
type opError struct {
	kind errKind
	msg  string
}

// credential is what a request presented.
type credential struct {
	value      string
	present    bool
	allowSess  bool // may also be a session ID (bearer token, SOAP SessionID)
	badSession bool // a failed lookup is InvalidSession rather than InvalidAPIKey
}

// perform runs the real operation atomically: authenticate, parse/authorize, look
// up, then rotate or read. idOK is false if the user ID did not parse.
func (s *Server) perform(op string, cred credential, id int, idOK bool) (string, *opError) {
	s.mu.Lock()
	defer s.mu.Unlock()

	callerID, ok := -1, false
	if cred.present && cred.value != "" {
		callerID, ok = s.keys[cred.value]
		if !ok && cred.allowSess {
			callerID, ok = s.sessions[cred.value]
		}
	}
	var caller *userState
	if ok {
		caller = s.users[callerID]
	}
	if caller == nil {
		if cred.badSession {
			return "", &opError{errBadSession, "The bearer token is invalid or expired."}
		}
		if !cred.present || cred.value == "" {
			return "", &opError{errBadCred, "No API key or session was supplied."}
		}
		return "", &opError{errBadCred, "The API key or session is invalid or has been revoked."}
	}
	if !idOK || id <= 0 {
		return "", &opError{errParam, "The user ID must be a positive 32-bit integer."}
	}
	if caller.id != id && caller.level < AuthLevelNetworkAdmin {
		return "", &opError{errDenied, "The caller's AuthLevel does not allow acting on another user."}
	}
	target, ok := s.users[id]
	if !ok {
		return "", &opError{errNotFound, fmt.Sprintf("User %d was not found.", id)}
	}
	if op == OpGetAPIKey {
		return target.key, nil
	}
	delete(s.keys, target.key)
	for {
		k := newKey()
		if _, taken := s.keys[k]; !taken {
			target.key = k
			break
		}
	}
	s.keys[target.key] = target.id
	target.rotations++
	return target.key, nil
}

// wait sleeps for d unless the request is cancelled or the server closes; it
// reports whether the full delay elapsed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// hijack takes over the connection. The caller must call release when done.
func (s *Server) hijack(w http.ResponseWriter) (net.Conn, func(), bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil, false
	}
	c, _, err := hj.Hijack()
	if err != nil {
		return nil, nil, false
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		return nil, nil, false
	}
	s.hijacked[c] = struct{}{}
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.hijacked, c)
		s.mu.Unlock()
		_ = c.Close()
	}, true
}

// drop hijacks the connection and closes it without answering.
func (s *Server) drop(w http.ResponseWriter) {
	if _, release, ok := s.hijack(w); ok {
		release()
	}
}

// writeTruncated hijacks the connection, writes a response head announcing the
// full body length, half the body, and closes the connection.
func (s *Server) writeTruncated(w http.ResponseWriter, contentType string, extra http.Header, body []byte) {
	c, release, ok := s.hijack(w)
	if !ok {
		return
	}
	defer release()
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\n")
	b.WriteString("Content-Type: " + contentType + "\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	for k, vs := range extra {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(body[:len(body)/2])
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, b.String())
}

// writeOversize answers 200 with exactly n bytes: prefix + filler + suffix when that
// fits, otherwise n spaces. It streams, so n may be large.
func writeOversize(w http.ResponseWriter, contentType, prefix, suffix string, n int) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(n))
	w.WriteHeader(http.StatusOK)
	fillByte := byte('A')
	if n < len(prefix)+len(suffix) {
		prefix, suffix, fillByte = "", "", ' '
	}
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	chunk := make([]byte, 32<<10)
	for i := range chunk {
		chunk[i] = fillByte
	}
	for left := n - len(prefix) - len(suffix); left > 0; {
		m := min(left, len(chunk))
		if _, err := w.Write(chunk[:m]); err != nil {
			return
		}
		left -= m
	}
	_, _ = io.WriteString(w, suffix)
}

// writeHTML answers an HTML error page.
func writeHTML(w http.ResponseWriter, status int, msg string) {
	if status == 0 {
		status = http.StatusBadGateway
	}
	if msg == "" {
		msg = "The upstream server returned an invalid response."
	}
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>"+escapeText(title)+
		"</title></head><body><h1>"+escapeText(title)+"</h1><p>"+escapeText(msg)+
		"</p><hr><address>ecgridtest</address></body></html>\n")
}

// addressLocation matches the location attribute of a WSDL port address.
var addressLocation = regexp.MustCompile(`(<[A-Za-z_][\w.-]*:address\s+location=")[^"]*(")`)

// rewriteAddress points every port address in wsdl at endpoint.
func rewriteAddress(wsdl []byte, endpoint string) []byte {
	if wsdl == nil {
		return nil
	}
	return addressLocation.ReplaceAll(wsdl, []byte("${1}"+strings.ReplaceAll(endpoint, "$", "$$")+"${2}"))
}
