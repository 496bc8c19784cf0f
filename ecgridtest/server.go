// This file holds the Server: starting, stopping and describing it.

package ecgridtest

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecgridkit/ecgrid/soap"
)

// SOAPPath is the path of the SOAP (ASMX) endpoint, relative to the server's base URL.
const SOAPPath = "/v4.1/prod/ECGridOS.asmx"

// DefaultNamespace is the SOAP operation namespace the server serves unless
// WithNamespace is given.
const DefaultNamespace = "https://os.ecgrid.io/"

// MaxRequestBody is the largest request body the server reads (1 MiB); larger bodies get HTTP 413.
const MaxRequestBody = 1 << 20

// Operation names reported in Request.Op and matched by Fault.Op.
const (
	// OpGenerateAPIKey is the key rotation (REST key-generate, SOAP GenerateAPIKey).
	OpGenerateAPIKey = "GenerateAPIKey"
	// OpGetAPIKey is the key read (REST GET key, SOAP UserGetAPIKey).
	OpGetAPIKey = "GetAPIKey"
	// OpLogin is logging in (REST POST /v2/auth/login, SOAP Login).
	OpLogin = "Login"
	// OpLogout is logging out (REST POST /v2/auth/logout, SOAP Logout).
	OpLogout = "Logout"
	// OpRefresh is exchanging a token for a new one (REST POST /v2/auth/refresh).
	OpRefresh = "Refresh"
	// OpWhoAmI is asking who the caller is (REST GET /v2/users/me, SOAP WhoAmI).
	OpWhoAmI = "WhoAmI"
	// OpSession is asking about the caller's session (REST POST /v2/auth/session).
	OpSession = "Session"
)

// Transport names reported in Request.Transport and matched by Fault.Transport.
const (
	// TransportREST is the REST JSON API.
	TransportREST = "rest"
	// TransportSOAP is the SOAP (ASMX) API.
	TransportSOAP = "soap"
)

// Server is a running fake ECGrid server serving both the REST and the SOAP API.
// It is safe for concurrent use.
type Server struct {
	// URL is the REST base URL, e.g. "http://127.0.0.1:43123" (no trailing slash).
	URL string
	// SOAPURL is the SOAP endpoint: URL + "/v4.1/prod/ECGridOS.asmx".
	SOAPURL string

	ns          string
	nsText      string             // ns escaped for XML, as the answers write it
	actions     map[string]*soapOp // SOAP action in ns -> operation
	wsdl        []byte
	basePath    string
	selfKeyRead bool
	clock       func() time.Time

	// The state the handlers change, behind a pointer: its maps are keyed
	// by keys and session IDs, and fmt prints the fields of a value given a
	// verb it does not take (%w outside Errorf) by reflection, where a
	// pointer inside it shows as an address.
	*state

	ln        *countingListener
	srv       *http.Server
	closing   chan struct{}
	closeOnce sync.Once
	serveDone chan struct{}
	conns     sync.WaitGroup // live connections (StateNew .. StateClosed/StateHijacked)
	handlers  sync.WaitGroup // running handlers
}

// state is the part of a Server guarded by its mutex.
type state struct {
	mu       sync.Mutex
	users    map[int]*userState
	keys     map[string]int           // current key -> user ID
	sessions map[string]*sessionState // session ID or token -> session
	ttl      time.Duration
	logins   int
	logouts  int
	faults   []*pendingFault
	reqs     []Request
	closed   bool
	hijacked map[net.Conn]struct{}
}

// NewServer starts a server and returns it. It panics if it cannot listen or if the
// options are invalid (two users sharing a key or a login), as httptest.NewServer
// does. Call Close when done.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic("ecgridtest: " + err.Error())
	}
	return s
}

// Start is like NewServer but returns an error instead of panicking: when it
// cannot listen on the address, or when two seeded users share a key or a login.
func Start(opts ...Option) (*Server, error) {
	c := config{addr: "127.0.0.1:0", ns: DefaultNamespace, ttl: DefaultSessionTTL}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if !c.wsdlGiven {
		c.wsdl = soap.WSDL()
	}
	if c.basePath == "/" {
		c.basePath = ""
	}
	s := &Server{
		ns:          c.ns,
		nsText:      escapeText(c.ns),
		actions:     soapActions(c.ns),
		basePath:    c.basePath,
		selfKeyRead: c.selfKeyRead,
		clock:       c.clock,
		state: &state{
			users:    make(map[int]*userState),
			keys:     make(map[string]int),
			sessions: make(map[string]*sessionState),
			ttl:      c.ttl,
			hijacked: make(map[net.Conn]struct{}),
		},
		closing:   make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	for _, u := range c.users {
		if _, err := s.addUser(u); err != nil {
			return nil, err
		}
	}
	for _, se := range c.sessions {
		s.AddSession(se.userID, se.id)
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
	s.wsdl = rewriteAddress(c.wsdl, s.SOAPURL) // a new slice: never the caller's bytes

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

// Format writes String for every verb (quoted for %q), so that no verb prints the
// server's fields, which hold keys and session IDs.
func (s *Server) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = fmt.Fprintf(f, "%q", s.String())
		return
	}
	_, _ = io.WriteString(f, s.String())
}

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

// now is the server's time (WithClock).
func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
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
