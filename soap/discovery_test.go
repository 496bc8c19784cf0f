package soap_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ecgridkit/ecgrid/soap"
)

const (
	wwwNS    = "http://www.ecgridos.net/" // the reference pages' namespace
	legacyNS = "http://ecgridos.net/"     // the v3.2 WSDL's
)

// splitAction splits an action URI into its namespace (with its final
// slash) and operation name.
func splitAction(action string) (ns, op string) {
	i := strings.LastIndexByte(action, '/')
	return action[:i+1], action[i+1:]
}

// unrecognisedFault is ASMX's answer to an action it does not know, with
// the placeholder filled or, as some builds send it, not.
func unrecognisedFault(v soap.Version, action string, unfilled bool) string {
	if unfilled {
		action = "{0}"
	}
	if v == soap.V12 {
		return faultDoc(v, true, "Unable to handle request. The action '"+action+"' was not recognized.", "", false)
	}
	return faultDoc(v, true, "Server did not recognize the value of HTTP Header SOAPAction: "+action+".", "", false)
}

// successFor is the success answer of op in ns.
func successFor(v soap.Version, ns, op string) string {
	inner := map[string]string{"GenerateAPIKey": newKey, "UserGetAPIKey": newKey, "Login": newSessID, "Logout": "true", "WhoAmI": whoAmIInner}[op]
	return resultDoc(v, ns, op, inner)
}

// asmxServer is an ASMX service that recognises the actions of one
// namespace. Another namespace's action gets the unrecognised-action fault
// (HTTP 500); the right action with the body in another namespace binds no
// parameter and gets an Authentication fault, as ASMX does.
func asmxServer(t *testing.T, recognised string, unfilled bool) *server {
	return newServer(t, func(w http.ResponseWriter, r request) {
		ns, op := splitAction(r.Action)
		switch {
		case ns != recognised:
			write(w, r.Version, 500, unrecognisedFault(r.Version, r.Action, unfilled))
		case r.NS != recognised || r.Op != op:
			write(w, r.Version, 500, faultDoc(r.Version, true, "Invalid Session ID", "Authentication", false))
		default:
			write(w, r.Version, 200, successFor(r.Version, ns, op))
		}
	})
}

// records is a slog.Handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

// naming returns the records that name ns, at any level, and how many of
// them are Info.
func (h *records) naming(ns string) (all []slog.Record, info int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		named := strings.Contains(r.Message, ns)
		r.Attrs(func(a slog.Attr) bool {
			if a.Value.String() == ns {
				named = true
			}
			return true
		})
		if named {
			all = append(all, r)
			if r.Level == slog.LevelInfo {
				info++
			}
		}
	}
	return all, info
}

func (h *records) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recs)
}

var allCalls = map[string]call{
	"GenerateAPIKey": generate(sessionID, 42), "UserGetAPIKey": get(sessionID, 42), "Login": login(userName, password),
	"Logout": logout(sessionID), "WhoAmI": whoAmI(sessionID),
}

// TestDiscovery: a client whose namespace is not pinned finds the one the
// service recognises on its first call, with one extra request per
// namespace tried, keeps it, and says so once in its log.
func TestDiscovery(t *testing.T) {
	for _, v := range versions {
		for _, unfilled := range []bool{false, true} {
			for _, tc := range []struct {
				ns    string
				extra int
			}{{wwwNS, 1}, {legacyNS, 2}} {
				name := string(v) + "/" + tc.ns
				if unfilled {
					name += "/placeholder unfilled"
				}
				t.Run(name, func(t *testing.T) {
					s := asmxServer(t, tc.ns, unfilled)
					log := &records{}
					c := newClient(t, soap.Config{URL: s.URL, Version: v, Logger: slog.New(log)})
					if c.Namespace() != soap.DefaultNamespace {
						t.Fatalf("Namespace() = %q before any call", c.Namespace())
					}
					key, err := c.GenerateAPIKey(context.Background(), sessionID, 42)
					if err != nil || key != newKey {
						t.Fatalf("first call: %q, %v", key, err)
					}
					if got := s.count(); got != 1+tc.extra {
						t.Fatalf("the first call made %d requests, want %d", got, 1+tc.extra)
					}
					if c.Namespace() != tc.ns {
						t.Fatalf("Namespace() = %q, want %q", c.Namespace(), tc.ns)
					}
					if recs, info := log.naming(tc.ns); len(recs) != 1 || info != 1 || log.count() != 1 {
						t.Fatalf("the log holds %d records, %d naming %s (%d Info): %v", log.count(), len(recs), tc.ns, info, recs)
					}
					// Every operation now goes straight to the namespace found.
					for op, call := range allCalls {
						before := s.count()
						if r := call(context.Background(), c); r.err != nil {
							t.Fatalf("%s: %v", op, r.err)
						}
						if got := s.count() - before; got != 1 {
							t.Fatalf("%s made %d requests after discovery", op, got)
						}
					}
					for _, r := range s.requests()[1+tc.extra:] {
						if ns, _ := splitAction(r.Action); ns != tc.ns || r.NS != tc.ns {
							t.Fatalf("a call after discovery went to action %q, body namespace %q", r.Action, r.NS)
						}
					}
					if log.count() != 1 {
						t.Fatalf("%d log records", log.count())
					}
				})
			}
		}
	}
}

// TestDiscoveryConcurrent: many first calls at once all succeed, each with
// at most one extra request, and the client settles once.
func TestDiscoveryConcurrent(t *testing.T) {
	for _, v := range versions {
		t.Run(string(v), func(t *testing.T) {
			s := asmxServer(t, wwwNS, false)
			log := &records{}
			c := newClient(t, soap.Config{URL: s.URL, Version: v, Logger: slog.New(log)})
			const n = 64
			start := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var err error
					if i%2 == 0 {
						_, err = c.GenerateAPIKey(context.Background(), sessionID, 42)
					} else {
						_, err = c.WhoAmI(context.Background(), sessionID)
					}
					errs <- err
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if got := s.count(); got < n+1 || got > 2*n {
				t.Fatalf("%d concurrent first calls made %d requests", n, got)
			}
			if c.Namespace() != wwwNS {
				t.Fatalf("Namespace() = %q", c.Namespace())
			}
			if _, info := log.naming(wwwNS); info != 1 || log.count() != 1 {
				t.Fatalf("%d log records, %d Info naming %s", log.count(), info, wwwNS)
			}
			before := s.count()
			if _, err := c.UserGetAPIKey(context.Background(), sessionID, 42); err != nil || s.count() != before+1 {
				t.Fatalf("a call after discovery: %v, %d requests", err, s.count()-before)
			}
		})
	}
}

// TestPinnedNamespace: a namespace set in the Config is never switched;
// the unrecognised-action fault comes back as a *soap.Error.
func TestPinnedNamespace(t *testing.T) {
	for _, v := range versions {
		for _, pinned := range []string{soap.DefaultNamespace, legacyNS} {
			t.Run(string(v)+"/"+pinned, func(t *testing.T) {
				s := asmxServer(t, wwwNS, false)
				log := &records{}
				c := newClient(t, soap.Config{URL: s.URL, Version: v, Namespace: pinned, Logger: slog.New(log)})
				for i := range 2 {
					_, err := c.GenerateAPIKey(context.Background(), sessionID, 42)
					e := asError(t, err)
					if !e.Fault || e.FaultCode != clientCode(v) || e.StatusCode != 500 || !strings.Contains(e.Message, "recogni") {
						t.Fatalf("%+v", *e)
					}
					if s.count() != i+1 {
						t.Fatalf("call %d: %d requests", i+1, s.count())
					}
				}
				if c.Namespace() != pinned || log.count() != 0 {
					t.Fatalf("Namespace() = %q, %d log records", c.Namespace(), log.count())
				}
			})
		}
	}
}

// TestNoDiscoveryOnOtherFailures: only the unrecognised-action fault
// starts discovery.
func TestNoDiscoveryOnOtherFailures(t *testing.T) {
	for name, answer := range map[string]func(v soap.Version, action string) (int, string){
		"Authentication fault": func(v soap.Version, _ string) (int, string) {
			return 500, faultDoc(v, true, "Invalid Session ID", "Authentication", false)
		},
		"Server fault naming an action": func(v soap.Version, action string) (int, string) {
			return 500, faultDoc(v, false, "Server did not recognize the value of HTTP Header SOAPAction: "+action+". Unable to handle request. The action '"+action+"' was not recognized.", "", false)
		},
		"no action parameter": func(v soap.Version, _ string) (int, string) {
			return 500, faultDoc(v, true, "Unable to handle request without a valid action parameter. Please supply a valid soap action.", "", false)
		},
		"HTML 500":  func(soap.Version, string) (int, string) { return 500, "<html><body>Runtime Error</body></html>" },
		"415 empty": func(soap.Version, string) (int, string) { return 415, "" },
		"success": func(v soap.Version, _ string) (int, string) {
			return 200, successFor(v, soap.DefaultNamespace, "GenerateAPIKey")
		},
	} {
		for _, v := range versions {
			t.Run(name+"/"+string(v), func(t *testing.T) {
				s := newServer(t, func(w http.ResponseWriter, r request) {
					status, body := answer(r.Version, r.Action)
					write(w, r.Version, status, body)
				})
				log := &records{}
				c := newClient(t, soap.Config{URL: s.URL, Version: v, Logger: slog.New(log)})
				_, _ = c.GenerateAPIKey(context.Background(), sessionID, 42)
				if s.count() != 1 || c.Namespace() != soap.DefaultNamespace || log.count() != 0 {
					t.Fatalf("%d requests, Namespace() = %q, %d log records", s.count(), c.Namespace(), log.count())
				}
			})
		}
	}
}

// TestNoNamespaceRecognised: when no known namespace is recognised, the
// call fails with the first fault and the client keeps its namespace.
func TestNoNamespaceRecognised(t *testing.T) {
	for _, v := range versions {
		t.Run(string(v), func(t *testing.T) {
			s := asmxServer(t, "urn:none/", false)
			log := &records{}
			c := newClient(t, soap.Config{URL: s.URL, Version: v, Logger: slog.New(log)})
			_, err := c.GenerateAPIKey(context.Background(), sessionID, 42)
			e := asError(t, err)
			if !e.Fault || !strings.Contains(e.Message, soap.Action(soap.DefaultNamespace, "GenerateAPIKey")) {
				t.Fatalf("%+v", *e)
			}
			if s.count() != len(soap.KnownNamespaces()) || c.Namespace() != soap.DefaultNamespace || log.count() != 0 {
				t.Fatalf("%d requests, Namespace() = %q, %d log records", s.count(), c.Namespace(), log.count())
			}
		})
	}
}

// cancelAfterFirst is a RoundTripper that ends the caller's context once
// the first answer is in (its body read in full, so that the answer is
// unaffected).
type cancelAfterFirst struct {
	rt     http.RoundTripper
	cancel context.CancelFunc
	n      atomic.Int32
}

func (c *cancelAfterFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err == nil && c.n.Add(1) == 1 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		c.cancel()
	}
	return resp, err
}

// TestDiscoveryWithoutEvidence: discovery keeps a namespace only when the
// service recognised it. A try that was never sent (the caller's context
// ended) or got an answer that says nothing about the action (a 503 from a
// proxy) is no such evidence: the client must not switch to that namespace
// nor log that the service recognises it.
func TestDiscoveryWithoutEvidence(t *testing.T) {
	t.Run("context ended during discovery", func(t *testing.T) {
		s := asmxServer(t, legacyNS, false)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		log := &records{}
		c := newClient(t, soap.Config{URL: s.URL, Logger: slog.New(log),
			HTTPClient: &http.Client{Transport: &cancelAfterFirst{rt: tr, cancel: cancel}}})
		_, err := c.GenerateAPIKey(ctx, sessionID, 42)
		if e := asError(t, err); !e.NotSent || s.count() != 1 {
			t.Fatalf("%+v, %d requests", *e, s.count())
		}
		if c.Namespace() != soap.DefaultNamespace || log.count() != 0 {
			t.Fatalf("Namespace() = %q after a try that was not sent; log: %v", c.Namespace(), log.recs)
		}
	})
	t.Run("503 from a proxy during discovery", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r request) {
			switch ns, op := splitAction(r.Action); ns {
			case soap.DefaultNamespace:
				write(w, r.Version, 500, unrecognisedFault(r.Version, r.Action, false))
			case wwwNS:
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(503)
				_, _ = io.WriteString(w, "<html>Service Unavailable</html>")
			default:
				write(w, r.Version, 200, successFor(r.Version, ns, op))
			}
		})
		log := &records{}
		c := newClient(t, soap.Config{URL: s.URL, Logger: slog.New(log)})
		_, _ = c.GenerateAPIKey(context.Background(), sessionID, 42)
		if c.Namespace() == wwwNS {
			t.Fatalf("Namespace() = %q, which the service never recognised; log: %v", c.Namespace(), log.recs)
		}
	})
}
