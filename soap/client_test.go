package soap_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecgridkit/ecgrid/soap"
)

// result is what any of the client's methods returned.
type result struct {
	key  string // GenerateAPIKey, UserGetAPIKey; Login's session ID
	ok   bool   // Logout
	info soap.UserIDInfo
	err  error
}

type call func(context.Context, *soap.Client) result

func generate(sess string, id int) call {
	return func(ctx context.Context, c *soap.Client) result {
		k, err := c.GenerateAPIKey(ctx, sess, id)
		return result{key: k, err: err}
	}
}

func get(sess string, id int) call {
	return func(ctx context.Context, c *soap.Client) result {
		k, err := c.UserGetAPIKey(ctx, sess, id)
		return result{key: k, err: err}
	}
}

func login(user, pw string) call {
	return func(ctx context.Context, c *soap.Client) result {
		s, err := c.Login(ctx, user, pw)
		return result{key: s, err: err}
	}
}

func logout(sess string) call {
	return func(ctx context.Context, c *soap.Client) result {
		ok, err := c.Logout(ctx, sess)
		return result{ok: ok, err: err}
	}
}

func whoAmI(sess string) call {
	return func(ctx context.Context, c *soap.Client) result {
		info, err := c.WhoAmI(ctx, sess)
		return result{info: info, err: err}
	}
}

var versions = []soap.Version{soap.V11, soap.V12}

var sender = soap.Sender{Solution: "ecgrid-go<&>", Version: `1.0"'`, CompanyName: "ACME & Sons", Contact: "J <Doe>", ContactEmail: "j@example.com"}

const whoAmIInner = `<UserID>42</UserID><Login>jdoe</Login><NetworkID>7</NetworkID><MailboxID>9</MailboxID><AuthLevel>NetworkAdmin</AuthLevel>`

// TestEnvelopeBytes pins the exact request of GenerateAPIKey in both
// versions, as ECGRID.md gives it.
func TestEnvelopeBytes(t *testing.T) {
	want := map[soap.Version]struct{ body, contentType, action string }{
		soap.V11: {
			`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
				`<GenerateAPIKey xmlns="https://os.ecgrid.io/"><SessionID>S3ss&lt;&amp;&quot;&apos;&gt;ion-0001</SessionID><UserID>42</UserID></GenerateAPIKey>` +
				`</soap:Body></soap:Envelope>`,
			"text/xml; charset=utf-8",
			`"https://os.ecgrid.io/GenerateAPIKey"`,
		},
		soap.V12: {
			`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>` +
				`<GenerateAPIKey xmlns="https://os.ecgrid.io/"><SessionID>S3ss&lt;&amp;&quot;&apos;&gt;ion-0001</SessionID><UserID>42</UserID></GenerateAPIKey>` +
				`</soap:Body></soap:Envelope>`,
			`application/soap+xml; charset=utf-8; action="https://os.ecgrid.io/GenerateAPIKey"`,
			"",
		},
	}
	for _, v := range versions {
		t.Run(string(v), func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r request) {
				write(w, v, 200, resultDoc(v, soap.DefaultNamespace, "GenerateAPIKey", newKey))
			})
			c := newClient(t, soap.Config{URL: s.URL + "/v4.1/prod/ECGridOS.asmx", Version: v})
			if _, err := c.GenerateAPIKey(context.Background(), sessionID, 42); err != nil {
				t.Fatal(err)
			}
			r := s.requests()[0]
			w := want[v]
			if r.Body != w.body {
				t.Errorf("body\n%s\nwant\n%s", r.Body, w.body)
			}
			if got := r.Header.Values("Content-Type"); len(got) != 1 || got[0] != w.contentType {
				t.Errorf("Content-Type %q, want %q", got, w.contentType)
			}
			if got := r.Header.Values("SOAPAction"); w.action == "" && len(got) != 0 || w.action != "" && (len(got) != 1 || got[0] != w.action) {
				t.Errorf("SOAPAction %q, want %q", got, w.action)
			}
			if r.Method != http.MethodPost || r.Path != "/v4.1/prod/ECGridOS.asmx" {
				t.Errorf("%s %s", r.Method, r.Path)
			}
		})
	}
}

// TestEnvelopes checks every operation's request in both versions: the
// exact body, every parameter escaped (`<&"'>` in each) and read back
// unchanged by an XML decoder, the headers.
func TestEnvelopes(t *testing.T) {
	esc := func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
	}
	type param struct{ name, value string }
	loginUser := `j<&"'>doe`
	for _, tc := range []struct {
		op     string
		call   call
		params []param
		answer string
	}{
		{"GenerateAPIKey", generate(sessionID, 42), []param{{"SessionID", sessionID}, {"UserID", "42"}}, newKey},
		{"GenerateAPIKey", generate(apiKey, 2147483647), []param{{"SessionID", apiKey}, {"UserID", "2147483647"}}, newKey},
		{"UserGetAPIKey", get(sessionID, 1), []param{{"SessionID", sessionID}, {"UserID", "1"}}, newKey},
		{"Login", login(loginUser, password), []param{{"UserName", loginUser}, {"Password", password},
			{"SenderSolution", sender.Solution}, {"SenderVersion", sender.Version}, {"SenderCompanyName", sender.CompanyName},
			{"SenderContact", sender.Contact}, {"SenderContactEmail", sender.ContactEmail}}, newSessID},
		{"Logout", logout(sessionID), []param{{"SessionID", sessionID}}, "true"},
		{"WhoAmI", whoAmI(sessionID), []param{{"SessionID", sessionID}}, whoAmIInner},
	} {
		for _, v := range versions {
			t.Run(tc.op+"/"+string(v), func(t *testing.T) {
				s := newServer(t, func(w http.ResponseWriter, r request) {
					write(w, v, 200, resultDoc(v, soap.DefaultNamespace, tc.op, tc.answer))
				})
				c := newClient(t, soap.Config{URL: s.URL + "/ECGridOS.asmx", Version: v, Sender: sender})
				if r := tc.call(context.Background(), c); r.err != nil {
					t.Fatal(r.err)
				}
				reqs := s.requests()
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				r := reqs[0]
				envNS := soap.NamespaceSOAP11
				if v == soap.V12 {
					envNS = soap.NamespaceSOAP12
				}
				var want strings.Builder
				want.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="` + envNS + `"><soap:Body><` + tc.op + ` xmlns="https://os.ecgrid.io/">`)
				for _, p := range tc.params {
					want.WriteString("<" + p.name + ">" + esc(p.value) + "</" + p.name + ">")
				}
				want.WriteString(`</` + tc.op + `></soap:Body></soap:Envelope>`)
				if r.Body != want.String() {
					t.Errorf("body\n%s\nwant\n%s", r.Body, want.String())
				}
				// What ASMX reads: the operation, its namespace and the
				// parameters in order, unescaped.
				if r.Op != tc.op || r.NS != soap.DefaultNamespace || r.Action != "https://os.ecgrid.io/"+tc.op || r.Version != v {
					t.Errorf("the server read %s in %q, action %q, version %q", r.Op, r.NS, r.Action, r.Version)
				}
				if len(r.ParamOrder) != len(tc.params) {
					t.Fatalf("parameters %q", r.ParamOrder)
				}
				for i, p := range tc.params {
					if r.ParamOrder[i] != p.name || r.Params[p.name] != p.value {
						t.Errorf("parameter %d: %s=%q, want %s=%q", i, r.ParamOrder[i], r.Params[r.ParamOrder[i]], p.name, p.value)
					}
				}
				ct := r.Header.Values("Content-Type")
				action := r.Header.Values("SOAPAction")
				if v == soap.V11 {
					if len(ct) != 1 || ct[0] != "text/xml; charset=utf-8" || len(action) != 1 || action[0] != `"https://os.ecgrid.io/`+tc.op+`"` {
						t.Errorf("Content-Type %q, SOAPAction %q", ct, action)
					}
				} else if len(ct) != 1 || ct[0] != `application/soap+xml; charset=utf-8; action="https://os.ecgrid.io/`+tc.op+`"` || len(action) != 0 {
					t.Errorf("Content-Type %q, SOAPAction %q", ct, action)
				}
				if ua := r.Header.Values("User-Agent"); len(ua) != 1 || ua[0] != "ecgrid-go-soap" {
					t.Errorf("User-Agent %q", ua)
				}
				if got := r.Header.Values("Cookie"); len(got) != 0 {
					t.Errorf("Cookie %q", got)
				}
				if r.Header.Get("Content-Length") != strconv.Itoa(len(r.Body)) {
					t.Errorf("Content-Length %q for %d bytes", r.Header.Get("Content-Length"), len(r.Body))
				}
			})
		}
	}
}

func TestUserAgentAndNamespace(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r request) {
		write(w, soap.V11, 200, resultDoc(soap.V11, r.NS, "UserGetAPIKey", newKey))
	})
	c := newClient(t, soap.Config{URL: s.URL, UserAgent: "rotator/1.2", Namespace: "http://ecgridos.net"})
	if c.Namespace() != "http://ecgridos.net" {
		t.Errorf("Namespace() = %q", c.Namespace())
	}
	if _, err := c.UserGetAPIKey(context.Background(), sessionID, 5); err != nil {
		t.Fatal(err)
	}
	r := s.requests()[0]
	if ua := r.Header.Get("User-Agent"); ua != "rotator/1.2" {
		t.Errorf("User-Agent %q", ua)
	}
	// A namespace without a trailing slash gets one in the action, as ASMX
	// forms it.
	if r.NS != "http://ecgridos.net" || r.Header.Get("SOAPAction") != `"http://ecgridos.net/UserGetAPIKey"` {
		t.Errorf("namespace %q, SOAPAction %q", r.NS, r.Header.Get("SOAPAction"))
	}
	if got := soap.Action("http://ecgridos.net", "X"); got != "http://ecgridos.net/X" {
		t.Errorf("Action = %q", got)
	}
	if got := soap.Action("https://os.ecgrid.io/", "X"); got != "https://os.ecgrid.io/X" {
		t.Errorf("Action = %q", got)
	}
}

// wantError lists the facts an *Error must have; Problem is a substring.
type wantError struct {
	status               int
	fault                bool
	faultCode, code, msg string
	problem              string
	retryAfter           time.Duration
}

func TestAnswers(t *testing.T) {
	ns := soap.DefaultNamespace
	for name, tc := range map[string]struct {
		call   call
		status int
		body   func(soap.Version) string
		header []string
		want   result
		err    func(soap.Version) wantError // nil: success
	}{
		"GenerateAPIKey": {call: generate(sessionID, 42), body: func(v soap.Version) string { return resultDoc(v, ns, "GenerateAPIKey", newKey) }, want: result{key: newKey}},
		"GenerateAPIKey white space": {call: generate(sessionID, 42), body: func(v soap.Version) string {
			return resultDoc(v, ns, "GenerateAPIKey", "\r\n  "+newKey+"\t\n")
		}, want: result{key: newKey}},
		"GenerateAPIKey with a BOM": {call: generate(sessionID, 42), body: func(v soap.Version) string { return "\xef\xbb\xbf" + resultDoc(v, ns, "GenerateAPIKey", newKey) }, want: result{key: newKey}},
		"GenerateAPIKey prefixed, other namespace": {call: generate(sessionID, 42), body: func(v soap.Version) string {
			return envelope(v, `<m:GenerateAPIKeyResponse xmlns:m="http://www.ecgridos.net/"><m:GenerateAPIKeyResult>`+newKey+`</m:GenerateAPIKeyResult></m:GenerateAPIKeyResponse>`)
		}, want: result{key: newKey}},
		"UserGetAPIKey": {call: get(apiKey, 42), body: func(v soap.Version) string { return resultDoc(v, ns, "UserGetAPIKey", newKey) }, want: result{key: newKey}},
		"Login":         {call: login(userName, password), body: func(v soap.Version) string { return resultDoc(v, ns, "Login", newSessID) }, want: result{key: newSessID}},
		"Logout true":   {call: logout(sessionID), body: func(v soap.Version) string { return resultDoc(v, ns, "Logout", "true") }, want: result{ok: true}},
		"Logout false":  {call: logout(sessionID), body: func(v soap.Version) string { return resultDoc(v, ns, "Logout", "false") }, want: result{ok: false}},
		"WhoAmI":        {call: whoAmI(sessionID), body: func(v soap.Version) string { return resultDoc(v, ns, "WhoAmI", whoAmIInner) }, want: result{info: soap.UserIDInfo{UserID: 42, Login: "jdoe", NetworkID: 7, MailboxID: 9, AuthLevel: "NetworkAdmin"}}},
		"WhoAmI unknown children ignored": {call: whoAmI(sessionID), body: func(v soap.Version) string {
			return resultDoc(v, ns, "WhoAmI", `<Extra>x</Extra><UserID> 5 </UserID><Login>ev&#x202e;il</Login>`)
		}, want: result{info: soap.UserIDInfo{UserID: 5, Login: `ev\u202eil`}}},

		"Authentication fault": {call: generate(sessionID, 42), status: 500, body: func(v soap.Version) string {
			return faultDoc(v, true, "Invalid Session ID", "Authentication", false)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 500, fault: true, faultCode: clientCode(v), code: "Authentication", msg: "Invalid Session ID"}
		}},
		"Authentication fault, qualified detail": {call: get(sessionID, 42), status: 500, body: func(v soap.Version) string {
			return faultDoc(v, true, "Invalid Session ID", "Authentication", true)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 500, fault: true, faultCode: clientCode(v), code: "Authentication", msg: "Invalid Session ID"}
		}},
		"fault echoing the session ID": {call: logout(sessionID), status: 500, body: func(v soap.Version) string {
			return faultDoc(v, true, "Session "+sessionID+" expired", "Authentication", false)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 500, fault: true, faultCode: clientCode(v), code: "Authentication", msg: "Session [redacted] expired"}
		}},
		"fault echoing the password": {call: login(userName, password), status: 500, body: func(v soap.Version) string {
			return faultDoc(v, true, "Wrong password "+password, "Authentication", false)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 500, fault: true, faultCode: clientCode(v), code: "Authentication", msg: "Wrong password [redacted]"}
		}},
		"Server fault, empty detail": {call: whoAmI(sessionID), status: 500, body: func(v soap.Version) string {
			return faultDoc(v, false, "Server was unable to process request. ---> boom", "", false)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 500, fault: true, faultCode: serverCode(v), msg: "Server was unable to process request. ---> boom"}
		}},
		"numeric error code": {call: generate(sessionID, 42), status: 500, body: func(v soap.Version) string {
			return faultDoc(v, true, "Not allowed", "5", false)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 500, fault: true, faultCode: clientCode(v), code: "5", msg: "Not allowed"}
		}},
		"fault with HTTP 200": {call: generate(sessionID, 42), status: 200, body: func(v soap.Version) string {
			return faultDoc(v, true, "no", "Authorization", false)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 200, fault: true, faultCode: clientCode(v), code: "Authorization", msg: "no"}
		}},
		"control characters escaped": {call: generate(sessionID, 42), status: 500, body: func(v soap.Version) string {
			return faultDoc(v, true, "bad\u0085[31m \u202eid\u2028!", "Auth&#10;entication", false)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 500, fault: true, faultCode: clientCode(v), code: `Auth\nentication`, msg: `bad\u0085[31m \u202eid\u2028!`}
		}},
		"result in another operation's response": {call: generate(sessionID, 42), body: func(v soap.Version) string {
			return envelope(v, `<UserGetAPIKeyResponse xmlns="`+ns+`"><GenerateAPIKeyResult>`+newKey+`</GenerateAPIKeyResult></UserGetAPIKeyResponse>`)
		}, err: func(v soap.Version) wantError {
			return wantError{status: 200, problem: "no <GenerateAPIKeyResult> in <GenerateAPIKeyResponse>"}
		}},
		"another operation's result": {call: get(sessionID, 42), body: func(v soap.Version) string { return resultDoc(v, ns, "GenerateAPIKey", newKey) },
			err: func(v soap.Version) wantError {
				return wantError{status: 200, problem: "no <UserGetAPIKeyResult> in <UserGetAPIKeyResponse>"}
			}},
		"result and fault": {call: generate(sessionID, 42), body: func(v soap.Version) string {
			return strings.Replace(resultDoc(v, ns, "GenerateAPIKey", newKey), "</soap:Body>",
				strings.TrimSuffix(strings.SplitN(faultDoc(v, false, "x", "", false), "<soap:Body>", 2)[1], "</soap:Body></soap:Envelope>")+"</soap:Body>", 1)
		}, err: func(v soap.Version) wantError { return wantError{status: 200, problem: "both a result and a fault"} }},
		"empty result": {call: generate(sessionID, 42), body: func(v soap.Version) string { return resultDoc(v, ns, "GenerateAPIKey", "") },
			err: func(v soap.Version) wantError { return wantError{status: 200, problem: "holds no key"} }},
		"Logout not a boolean": {call: logout(sessionID), body: func(v soap.Version) string { return resultDoc(v, ns, "Logout", "maybe") },
			err: func(v soap.Version) wantError { return wantError{status: 200, problem: "not a boolean"} }},
		"WhoAmI without a user ID": {call: whoAmI(sessionID), body: func(v soap.Version) string { return resultDoc(v, ns, "WhoAmI", "<Login>x</Login>") },
			err: func(v soap.Version) wantError { return wantError{status: 200, problem: "no user ID"} }},
		"success with HTTP 500": {call: generate(sessionID, 42), status: 500, body: func(v soap.Version) string { return resultDoc(v, ns, "GenerateAPIKey", newKey) },
			err: func(v soap.Version) wantError { return wantError{status: 500, problem: "no <GenerateAPIKeyResult>"} }},
		"truncated": {call: generate(sessionID, 42), body: func(v soap.Version) string { d := resultDoc(v, ns, "GenerateAPIKey", newKey); return d[:len(d)-10] },
			err: func(v soap.Version) wantError { return wantError{status: 200, problem: "not a readable SOAP envelope"} }},
		"HTML": {call: generate(sessionID, 42), status: 502, body: func(soap.Version) string { return "<html><body>Bad Gateway</body></html>" }, header: []string{"Content-Type", "text/html"},
			err: func(v soap.Version) wantError { return wantError{status: 502, problem: "not a readable SOAP envelope"} }},
		"400 empty": {call: generate(sessionID, 42), status: 400, body: func(soap.Version) string { return "" },
			err: func(v soap.Version) wantError { return wantError{status: 400, problem: "not a readable SOAP envelope"} }},
		"429 Retry-After": {call: generate(sessionID, 42), status: 429, body: func(soap.Version) string { return "" }, header: []string{"Retry-After", "99999999999999999999"},
			err: func(v soap.Version) wantError {
				return wantError{status: 429, problem: "not a readable SOAP envelope", retryAfter: 24 * time.Hour}
			}},
		"503 Retry-After with a fault": {call: generate(sessionID, 42), status: 503, body: func(v soap.Version) string { return faultDoc(v, false, "down", "", false) }, header: []string{"Retry-After", "30"},
			err: func(v soap.Version) wantError {
				return wantError{status: 503, fault: true, faultCode: serverCode(v), msg: "down", retryAfter: 30 * time.Second}
			}},
	} {
		for _, v := range versions {
			t.Run(name+"/"+string(v), func(t *testing.T) {
				s := newServer(t, func(w http.ResponseWriter, _ request) {
					for i := 0; i+1 < len(tc.header); i += 2 {
						w.Header().Set(tc.header[i], tc.header[i+1])
					}
					status := tc.status
					if status == 0 {
						status = 200
					}
					if w.Header().Get("Content-Type") != "" {
						w.WriteHeader(status)
						_, _ = w.Write([]byte(tc.body(v)))
						return
					}
					write(w, v, status, tc.body(v))
				})
				c := newClient(t, soap.Config{URL: s.URL, Version: v})
				r := tc.call(context.Background(), c)
				if tc.err == nil {
					if r.err != nil {
						t.Fatal(r.err)
					}
					if r.key != tc.want.key || r.ok != tc.want.ok || r.info != tc.want.info {
						t.Fatalf("got %q %v %+v, want %q %v %+v", r.key, r.ok, r.info, tc.want.key, tc.want.ok, tc.want.info)
					}
					return
				}
				if r.key != "" || r.ok || r.info != (soap.UserIDInfo{}) {
					t.Errorf("a result with the error: %q %v %+v", r.key, r.ok, r.info)
				}
				e := asError(t, r.err)
				w := tc.err(v)
				if e.StatusCode != w.status || e.Fault != w.fault || e.FaultCode != w.faultCode || e.ErrorCode != w.code || e.Message != w.msg ||
					e.RetryAfter != w.retryAfter || e.NotSent || !strings.Contains(e.Problem, w.problem) || (w.problem == "") != (e.Problem == "") {
					t.Fatalf("got %+v\nwant %+v", *e, w)
				}
				if s.count() != 1 {
					t.Fatalf("%d requests, want 1 (no namespace discovery)", s.count())
				}
			})
		}
	}
}

func clientCode(v soap.Version) string {
	if v == soap.V12 {
		return "soap:Sender"
	}
	return "soap:Client"
}

func serverCode(v soap.Version) string {
	if v == soap.V12 {
		return "soap:Receiver"
	}
	return "soap:Server"
}

// TestResultTextFromElsewhere: the key is the text of the one
// Body/<op>Response/<op>Result element. Text that follows a child element
// of a same-named element elsewhere in the document must not be appended
// to it.
func TestResultTextFromElsewhere(t *testing.T) {
	for name, inner := range map[string]string{
		"in another element of the Body": `<GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult>` + newKey + `</GenerateAPIKeyResult></GenerateAPIKeyResponse>` +
			`<Other><GenerateAPIKeyResult><x/>-EXTRA</GenerateAPIKeyResult></Other>`,
		"the result empty": `<GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult></GenerateAPIKeyResult></GenerateAPIKeyResponse>` +
			`<Other><GenerateAPIKeyResult><x/>` + newKey + `</GenerateAPIKeyResult></Other>`,
		"in the response": `<GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult>` + newKey + `</GenerateAPIKeyResult>` +
			`<Wrapper><GenerateAPIKeyResult><x/>-EXTRA</GenerateAPIKeyResult></Wrapper></GenerateAPIKeyResponse>`,
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, _ request) { write(w, soap.V11, 200, envelope(soap.V11, inner)) })
			key, err := newClient(t, soap.Config{URL: s.URL}).GenerateAPIKey(context.Background(), sessionID, 42)
			want := newKey
			if name == "the result empty" {
				want = "" // an error: the answer holds no key
			}
			if err == nil && key != want {
				t.Fatalf("GenerateAPIKey returned %q, the document's result holds %q", key, want)
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			target := newServer(t, func(w http.ResponseWriter, _ request) {
				write(w, soap.V11, 200, resultDoc(soap.V11, soap.DefaultNamespace, "GenerateAPIKey", newKey))
			})
			s := newServer(t, func(w http.ResponseWriter, _ request) {
				w.Header().Set("Location", target.URL+"/ECGridOS.asmx")
				w.WriteHeader(status)
			})
			_, err := newClient(t, soap.Config{URL: s.URL}).GenerateAPIKey(context.Background(), sessionID, 42)
			e := asError(t, err)
			if e.StatusCode != status || !strings.Contains(e.Problem, "another host") || e.Fault {
				t.Fatalf("%+v", *e)
			}
			if target.count() != 0 || s.count() != 1 {
				t.Fatalf("the target received %d requests, the server %d", target.count(), s.count())
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	s := newServer(t, nil)
	c := newClient(t, soap.Config{URL: s.URL})
	for name, call := range map[string]call{
		"user ID 0":                         generate(sessionID, 0),
		"user ID above int32":               get(sessionID, 1<<31),
		"empty session ID":                  generate("", 42),
		"session ID with a newline":         get(sessionID+"\n", 42),
		"session ID with a NUL":             logout("a\x00b"),
		"session ID with a bidi override":   whoAmI("a\u202eb"),
		"session ID not UTF-8":              whoAmI("a\xffb"),
		"session ID with white space round": generate(" "+sessionID, 42),
		"empty user name":                   login("", password),
		"user name with a control":          login("a\x01b", password),
		"empty password":                    login(userName, ""),
		"password with a newline":           login(userName, password+"\n"),
	} {
		r := call(context.Background(), c)
		e := asError(t, r.err)
		if !errors.Is(r.err, soap.ErrInvalidInput) || !e.NotSent || e.StatusCode != 0 {
			t.Errorf("%s: %v", name, r.err)
		}
		for _, bad := range []string{"\n", "\x00", "\x01", "\u202e", "\xff"} {
			if strings.Contains(r.err.Error(), bad) {
				t.Errorf("%s: the error shows the input: %q", name, r.err.Error())
			}
		}
	}
	if s.count() != 0 {
		t.Fatalf("the server received %d requests", s.count())
	}
}

func TestNotSentAndMaybeSent(t *testing.T) {
	t.Run("cancelled context", func(t *testing.T) {
		s := newServer(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newClient(t, soap.Config{URL: s.URL}).GenerateAPIKey(ctx, sessionID, 42)
		e := asError(t, err)
		if !e.NotSent || !errors.Is(err, context.Canceled) || s.count() != 0 {
			t.Fatalf("%+v, %d requests", *e, s.count())
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u := "http://" + ln.Addr().String() + "/ECGridOS.asmx"
		ln.Close()
		_, err = newClient(t, soap.Config{URL: u}).GenerateAPIKey(context.Background(), sessionID, 42)
		if e := asError(t, err); !e.NotSent || e.StatusCode != 0 || !strings.HasSuffix(err.Error(), "(not sent)") {
			t.Fatalf("%+v", *e)
		}
	})
	t.Run("dropped after the request", func(t *testing.T) {
		s := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		_, err := newClient(t, soap.Config{URL: s.URL}).GenerateAPIKey(context.Background(), sessionID, 42)
		if e := asError(t, err); e.NotSent || e.StatusCode != 0 || e.Err == nil {
			t.Fatalf("%+v", *e)
		}
	})
	t.Run("101 on an open connection", func(t *testing.T) {
		s := rawServer(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
			_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
			_ = rw.Flush()
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		_, err := newClient(t, soap.Config{URL: s.URL}).GenerateAPIKey(ctx, sessionID, 42)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("the call took %v", d)
		}
		if e := asError(t, err); e.StatusCode != 101 || e.Problem == "" {
			t.Fatalf("%+v", *e)
		}
	})
}

// rawServer is an httptest server running h, closed when the test ends.
func rawServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestNewRefuses(t *testing.T) {
	for name, cfg := range map[string]soap.Config{
		"no URL":                {},
		"relative URL":          {URL: "/ECGridOS.asmx"},
		"ftp":                   {URL: "ftp://os.ecgrid.io/x"},
		"user info":             {URL: "https://u:pw@os.ecgrid.io/x"},
		"query":                 {URL: "https://os.ecgrid.io/x?WSDL"},
		"version":               {URL: soap.DefaultURL, Version: "1.3"},
		"relative namespace":    {URL: soap.DefaultURL, Namespace: "ecgridos"},
		"namespace with quotes": {URL: soap.DefaultURL, Namespace: `https://x/"y`},
	} {
		if c, err := soap.New(cfg); err == nil || c != nil {
			t.Errorf("%s: New = %v, %v", name, c, err)
		}
	}
}

// TestLoginRefusesUnsendableText: a user name or Sender field that XML
// can't carry unchanged (bytes that are not UTF-8, a control character,
// U+FFFE) must be refused before sending, as a bad session ID or password
// is, or by New for the Sender; not sent in a malformed envelope.
func TestLoginRefusesUnsendableText(t *testing.T) {
	for name, tc := range map[string]struct {
		user   string
		sender soap.Sender
	}{
		"user name not UTF-8":             {user: "jd\xffoe"},
		"user name with U+FFFE":           {user: "jd\ufffeoe"},
		"Sender with a control character": {user: userName, sender: soap.Sender{Solution: "ecgrid\x01go"}},
		"Sender not UTF-8":                {user: userName, sender: soap.Sender{ContactEmail: "j\xff@example.com"}},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r request) {
				write(w, r.Version, 200, resultDoc(r.Version, soap.DefaultNamespace, "Login", newSessID))
			})
			c, err := soap.New(soap.Config{URL: s.URL, Sender: tc.sender, HTTPClient: httpClient(t)})
			if err != nil {
				return // refused by New: fine
			}
			_, err = c.Login(context.Background(), tc.user, password)
			if s.count() != 0 {
				body := s.requests()[0].Body
				werr := xml.NewDecoder(strings.NewReader(body)).Decode(new(struct{}))
				t.Fatalf("sent (%v); the envelope is not well-formed XML (%v): %q", err, werr, body)
			}
			if !errors.Is(err, soap.ErrInvalidInput) {
				t.Fatalf("%v", err)
			}
		})
	}
}
