package ecgridtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

const (
	env11 = "http://schemas.xmlsoap.org/soap/envelope/"
	env12 = "http://www.w3.org/2003/05/soap-envelope"
)

func TestSOAP_Success(t *testing.T) {
	type tc struct {
		version, op, prefix string
		serverNS            string // WithNamespace; "" = default
		session             bool
		noAction            bool
		caller, target      int
	}
	tests := map[string]tc{}
	for _, v := range []string{"1.1", "1.2"} {
		for _, op := range []string{"GenerateAPIKey", "UserGetAPIKey"} {
			tests["SOAP "+v+" "+op] = tc{version: v, op: op, caller: adminID, target: adminID}
			tests["SOAP "+v+" "+op+" prefixed"] = tc{version: v, op: op, prefix: "ecg", caller: adminID, target: adminID}
			tests["SOAP "+v+" "+op+" admin on other"] = tc{version: v, op: op, caller: adminID, target: otherID}
			tests["SOAP "+v+" "+op+" root on admin with session"] = tc{version: v, op: op, caller: rootID, target: adminID}
			tests["SOAP "+v+" "+op+" served namespace"] = tc{version: v, op: op, serverNS: "http://www.ecgridos.net/", caller: rootID, target: userID}
			tests["SOAP "+v+" "+op+" namespace without slash"] = tc{version: v, op: op, serverNS: "urn:ecgrid", caller: rootID, target: userID}
		}
		tests["SOAP "+v+" rotate self with session"] = tc{version: v, op: "GenerateAPIKey", session: true, caller: userID, target: userID}
	}
	tests["SOAP 1.2 without action: dispatch by element"] = tc{version: "1.2", op: "UserGetAPIKey", noAction: true, caller: adminID, target: userID}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var opts []ecgridtest.Option
			ns := "https://os.ecgrid.io/"
			if tc.serverNS != "" {
				opts = append(opts, ecgridtest.WithNamespace(tc.serverNS))
				ns = tc.serverNS
			}
			s := setup(t, opts...)
			c := client(t, 0)
			before := key(t, s, tc.target)
			cred := key(t, s, tc.caller)
			if tc.session {
				cred = session2
			}
			q := soapReq{Version: tc.version, Op: tc.op, NS: ns, Prefix: tc.prefix, SessionID: cred, UserID: itoa(tc.target), NoAction: tc.noAction}
			if !strings.HasSuffix(ns, "/") {
				q.Action = ptr(ns + "/" + tc.op)
			}
			r := soapDo(t, c, s.SOAPURL, q)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			if tc.version == "1.1" {
				assert.Equal(t, "text/xml; charset=utf-8", r.Header.Get("Content-Type"))
				assert.Equal(t, env11, r.Names["Envelope"])
			} else {
				assert.Equal(t, "application/soap+xml; charset=utf-8", r.Header.Get("Content-Type"))
				assert.Equal(t, env12, r.Names["Envelope"])
			}
			assert.Equal(t, "private, max-age=0", r.Header.Get("Cache-Control"))
			assert.True(t, strings.HasPrefix(string(r.Body), `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="`), "%s", r.Body)
			assert.Equal(t, ns, r.Names[tc.op+"Response"])
			assert.Equal(t, ns, r.Names[tc.op+"Result"])
			got := r.Fields[tc.op+"Result"]
			assert.Regexp(t, guidShape, got)
			assert.Equal(t, key(t, s, tc.target), got)
			if tc.op == "GenerateAPIKey" {
				assert.NotEqual(t, before, got)
				assert.Equal(t, 1, s.Rotations(tc.target))
			} else {
				assert.Equal(t, before, got)
				assert.Zero(t, s.Rotations(tc.target))
			}
		})
	}
}

// soapErrorCase is a request that fails, and how: an empty body with status,
// or a fault.
type soapErrorCase struct {
	req      soapReq
	versions string // "1.1", "1.2" or "" for both
	status   int
	empty    bool   // an empty body
	fault    string // fault code as in SOAP 1.1: Client, Server or VersionMismatch
	code     string // ECGridOSSOAPErrorCode; "" = empty detail
	msg      string // the exact faultstring / Reason text ("" = not checked; UNRECOGNIZED = the unknown-action message)
	msgRE    string // a regexp the faultstring / Reason text must match
}

func TestSOAP_Errors(t *testing.T) {
	s := setup(t)
	c := client(t, 0)
	uk, ak := key(t, s, userID), key(t, s, adminID)
	body := func(op string) string {
		return `<s:Envelope xmlns:s="ENV"><s:Body>` + op + `</s:Body></s:Envelope>`
	}
	const readErr = "Server was unable to read request. ---> "
	tests := map[string]soapErrorCase{
		// The service's own checks: a fault with an ECGridOSSOAPErrorCode.
		"bad session":           {req: soapReq{Op: "GenerateAPIKey", SessionID: "bad-session-123456", UserID: "2"}, status: 500, fault: "Client", code: "Authentication", msg: "Invalid Session ID"},
		"missing session":       {req: soapReq{Op: "UserGetAPIKey", Body: body(`<UserGetAPIKey xmlns="https://os.ecgrid.io/"><UserID>2</UserID></UserGetAPIKey>`)}, status: 500, fault: "Client", code: "Authentication"},
		"user on other user":    {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "3"}, status: 500, fault: "Client", code: "Authorization"},
		"session on other user": {req: soapReq{Op: "UserGetAPIKey", SessionID: session2, UserID: "1"}, status: 500, fault: "Client", code: "Authorization"},
		"admin on unknown user": {req: soapReq{Op: "UserGetAPIKey", SessionID: ak, UserID: "999"}, status: 500, fault: "Client", code: "ObjectNotFound"},
		"user on unknown user":  {req: soapReq{Op: "UserGetAPIKey", SessionID: uk, UserID: "999"}, status: 500, fault: "Client", code: "Authorization"},
		"UserID zero":           {req: soapReq{Op: "GenerateAPIKey", SessionID: ak, UserID: "0"}, status: 500, fault: "Client", code: "InvalidParameter"},
		"UserID missing":        {req: soapReq{Op: "GenerateAPIKey", Body: body(`<GenerateAPIKey xmlns="https://os.ecgrid.io/"><SessionID>` + ak + `</SessionID></GenerateAPIKey>`)}, status: 500, fault: "Client", code: "InvalidParameter"},

		// Parameters that bind to nothing: what an empty SessionID gets.
		"operation in another namespace":    {req: soapReq{Op: "GenerateAPIKey", NS: "http://www.ecgridos.net/", Action: ptr("https://os.ecgrid.io/GenerateAPIKey"), SessionID: uk, UserID: "2"}, status: 500, fault: "Client", code: "Authentication"},
		"prefixed, in another namespace":    {req: soapReq{Op: "GenerateAPIKey", NS: "http://ecgridos.net/", Prefix: "e", Action: ptr("https://os.ecgrid.io/GenerateAPIKey"), SessionID: uk, UserID: "2"}, status: 500, fault: "Client", code: "Authentication"},
		"children in no namespace":          {req: soapReq{Op: "GenerateAPIKey", Body: body(`<e:GenerateAPIKey xmlns:e="https://os.ecgrid.io/"><SessionID>` + uk + `</SessionID><UserID>2</UserID></e:GenerateAPIKey>`)}, status: 500, fault: "Client", code: "Authentication"},
		"body element is another operation": {req: soapReq{Op: "GenerateAPIKey", Body: body(`<UserGetAPIKey xmlns="https://os.ecgrid.io/"><SessionID>` + uk + `</SessionID><UserID>2</UserID></UserGetAPIKey>`)}, status: 500, fault: "Client", code: "Authentication"},
		"empty body element":                {req: soapReq{Op: "GenerateAPIKey", Body: body(``)}, status: 500, fault: "Client", code: "Authentication"},
		"no action, another namespace":      {req: soapReq{Op: "UserGetAPIKey", NS: "http://example.com/", NoAction: true, SessionID: uk, UserID: "2"}, versions: "1.2", status: 500, fault: "Client", code: "Authentication"},

		// Unreadable parameters: a read error, empty detail.
		"UserID not an int":   {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "two"}, status: 500, fault: "Client", msgRE: `^Server was unable to read request\. ---> There is an error in XML document \(1, \d+\)\. ---> Input string was not in a correct format\.$`},
		"UserID beyond int32": {req: soapReq{Op: "GenerateAPIKey", SessionID: ak, UserID: "2147483648"}, status: 500, fault: "Client", msgRE: `^Server was unable to read request\. ---> There is an error in XML document \(1, \d+\)\. ---> Value was either too large or too small for an Int32\.$`},
		"UserID empty":        {req: soapReq{Op: "GenerateAPIKey", SessionID: ak, UserID: ""}, status: 500, fault: "Client"},

		// Unknown actions: nothing is processed.
		"unknown operation":           {req: soapReq{Op: "DeleteEverything", SessionID: uk, UserID: "2"}, status: 500, fault: "Client", msg: "UNRECOGNIZED"},
		"action in another namespace": {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", Action: ptr("http://www.ecgridos.net/GenerateAPIKey")}, status: 500, fault: "Client", msg: "UNRECOGNIZED"},
		"action with a longer name":   {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", Action: ptr("https://os.ecgrid.io/XGenerateAPIKey")}, status: 500, fault: "Client", msg: "UNRECOGNIZED"},
		"action in another case":      {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", Action: ptr("https://os.ecgrid.io/generateapikey")}, status: 500, fault: "Client", msg: "UNRECOGNIZED"},
		"missing SOAPAction":          {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", NoAction: true}, versions: "1.1", status: 500, fault: "Client", msg: "Server did not recognize the value of HTTP Header SOAPAction: ."},
		"empty SOAPAction":            {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", Action: ptr("")}, versions: "1.1", status: 500, fault: "Client", msg: "Server did not recognize the value of HTTP Header SOAPAction: ."},
		"no action, unknown element":  {req: soapReq{Op: "DeleteEverything", NoAction: true, SessionID: uk, UserID: "2"}, versions: "1.2", status: 500, fault: "Client", msg: "Unable to handle request without a valid action parameter. Please supply a valid soap action."},

		// Envelopes ASMX cannot use.
		"malformed XML":              {req: soapReq{Op: "GenerateAPIKey", Body: `<soap:Envelope xmlns:soap="ENV"><soap:Body>`}, status: 400, empty: true},
		"empty request":              {req: soapReq{Op: "GenerateAPIKey", Body: " "}, status: 400, empty: true},
		"text after the envelope":    {req: soapReq{Op: "GenerateAPIKey", Body: body(``) + `<x>`}, status: 400, empty: true},
		"root is not Envelope":       {req: soapReq{Op: "GenerateAPIKey", Body: `<s:Body xmlns:s="ENV"/>`}, status: 500, fault: "Client", msg: readErr + "Request format is invalid: Missing required soap:Envelope element."},
		"no Body":                    {req: soapReq{Op: "GenerateAPIKey", Body: `<s:Envelope xmlns:s="ENV"><s:Header/></s:Envelope>`}, status: 500, fault: "Client", msg: readErr + "Request format is invalid: Missing required soap:Body element."},
		"Body in another namespace":  {req: soapReq{Op: "GenerateAPIKey", Body: `<s:Envelope xmlns:s="ENV"><b:Body xmlns:b="urn:x"/></s:Envelope>`}, status: 500, fault: "Client", msg: readErr + "Request format is invalid: Missing required soap:Body element."},
		"1.1 envelope in another ns": {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", EnvNS: "http://example.com/env"}, versions: "1.1", status: 500, fault: "VersionMismatch", msg: "Possible SOAP version mismatch: Envelope namespace http://example.com/env was unexpected. Expecting " + env11 + "."},
		"1.2 envelope as text/xml":   {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", EnvNS: env12}, versions: "1.1", status: 500, fault: "VersionMismatch", msg: "Possible SOAP version mismatch: Envelope namespace " + env12 + " was unexpected. Expecting " + env11 + "."},
		"1.1 envelope as soap+xml":   {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", EnvNS: env11}, versions: "1.2", status: 415, empty: true},
		"1.2 envelope in another ns": {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", EnvNS: "http://example.com/env"}, versions: "1.2", status: 415, empty: true},
		"unsupported content type":   {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", CT: "application/json"}, status: 415, empty: true},
		"no content type":            {req: soapReq{Op: "GenerateAPIKey", SessionID: uk, UserID: "2", CT: " "}, status: 415, empty: true},
	}
	for name, tc := range tests {
		for _, v := range []string{"1.1", "1.2"} {
			if tc.versions != "" && tc.versions != v {
				continue
			}
			t.Run(name+" "+v, func(t *testing.T) {
				q := tc.req
				q.Version = v
				q.Body = strings.ReplaceAll(q.Body, `"ENV"`, `"`+map[string]string{"1.1": env11, "1.2": env12}[v]+`"`)
				r := soapDo(t, c, s.SOAPURL, q)
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				if tc.empty {
					assert.Empty(t, r.Body)
					assert.Empty(t, r.Header.Get("Content-Type"))
					return
				}
				_, _, action := q.build()
				msg := tc.msg
				if msg == "UNRECOGNIZED" {
					msg = "Server did not recognize the value of HTTP Header SOAPAction: " + action + "."
					if v == "1.2" {
						msg = "Unable to handle request. The action '" + action + "' was not recognized."
					}
				}
				assertSOAPFault(t, r, s.SOAPURL, v, tc.fault, tc.code, msg)
				if tc.msgRE != "" {
					assert.Regexp(t, tc.msgRE, r.Fields[map[string]string{"1.1": "faultstring", "1.2": "Text"}[v]])
				}
			})
		}
	}
	assert.Zero(t, s.Rotations(userID))
	assert.Equal(t, uk, key(t, s, userID))
	t.Run("body too large", func(t *testing.T) {
		r, err := c.Post(s.SOAPURL, "text/xml", strings.NewReader(strings.Repeat(" ", ecgridtest.MaxRequestBody+1)))
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, r.StatusCode)
	})
	t.Run("GET without wsdl", func(t *testing.T) {
		r, err := c.Get(s.SOAPURL)
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, r.StatusCode)
	})
}

// TestSOAP_OneNamespace checks a server serves only the namespace it is given:
// the default namespace's actions are unknown to a server serving another one.
func TestSOAP_OneNamespace(t *testing.T) {
	s := setup(t, ecgridtest.WithNamespace("http://www.ecgridos.net/"))
	c := client(t, 0)
	ak := key(t, s, adminID)
	for _, v := range []string{"1.1", "1.2"} {
		r := soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "UserGetAPIKey", SessionID: ak, UserID: "2"})
		assert.Equal(t, 500, r.Status)
		assert.Contains(t, string(r.Body), "https://os.ecgrid.io/UserGetAPIKey")
		assert.Contains(t, string(r.Body), "<detail />")
		r = soapDo(t, c, s.SOAPURL, soapReq{Version: v, Op: "UserGetAPIKey", NS: "http://www.ecgridos.net/", SessionID: ak, UserID: "2"})
		assert.Equal(t, 200, r.Status, "%s", r.Body)
	}
}

// TestSOAP_FaultShapes pins whole fault documents, as an ASMX service sends them.
func TestSOAP_FaultShapes(t *testing.T) {
	const head = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="ENV" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`
	const tail = `</soap:Body></soap:Envelope>`
	tests := map[string]struct {
		version string
		fault   *ecgridtest.Fault // nil: a bad SessionID
		want    string
	}{
		"1.1 coded": {"1.1", nil, `<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Invalid Session ID</faultstring>` +
			`<faultactor>URL</faultactor><detail><ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode></detail></soap:Fault>`},
		"1.2 coded": {"1.2", nil, `<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code>` +
			`<soap:Reason><soap:Text xml:lang="en">Invalid Session ID</soap:Text></soap:Reason><soap:Node>URL</soap:Node>` +
			`<detail><ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode></detail></soap:Fault>`},
		"1.1 unhandled": {"1.1", &ecgridtest.Fault{Unhandled: true, Message: "Object reference not set to an instance of an object."},
			`<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; Object reference not set to an instance of an object.</faultstring>` +
				`<faultactor>URL</faultactor><detail /></soap:Fault>`},
		"1.2 unhandled": {"1.2", &ecgridtest.Fault{Unhandled: true, SOAPCode: "SystemError"},
			`<soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>` +
				`<soap:Reason><soap:Text xml:lang="en">Server was unable to process request. ---&gt; Injected server error.</soap:Text></soap:Reason>` +
				`<soap:Node>URL</soap:Node><detail /></soap:Fault>`},
		"1.1 coded server fault": {"1.1", &ecgridtest.Fault{SOAPCode: "SystemError", Message: "down"},
			`<soap:Fault><faultcode>soap:Server</faultcode><faultstring>down</faultstring>` +
				`<faultactor>URL</faultactor><detail><ECGridOSSOAPErrorCode>SystemError</ECGridOSSOAPErrorCode></detail></soap:Fault>`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := setup(t)
			c := client(t, 0)
			session := "bad-session-0123456789"
			if tc.fault != nil {
				s.Inject(*tc.fault)
				session = key(t, s, userID)
			}
			r := soapDo(t, c, s.SOAPURL, soapReq{Version: tc.version, Op: "GenerateAPIKey", SessionID: session, UserID: "2"})
			assert.Equal(t, 500, r.Status)
			env := map[string]string{"1.1": env11, "1.2": env12}[tc.version]
			want := strings.ReplaceAll(head, "ENV", env) + strings.ReplaceAll(tc.want, "URL", s.SOAPURL) + tail
			assert.Equal(t, want, string(r.Body))
			assert.Equal(t, "private", r.Header.Get("Cache-Control"))
			assert.Zero(t, s.Rotations(userID))
		})
	}
}

// assertFault checks a SOAP fault of the given version: client says Client
// (1.2 Sender) or Server (Receiver); code is the ECGridOSSOAPErrorCode.
func assertFault(t *testing.T, r soapResult, soapURL, version string, client bool, code string) {
	t.Helper()
	fault := "Server"
	if client {
		fault = "Client"
	}
	assertSOAPFault(t, r, soapURL, version, fault, code, "")
}

// assertSOAPFault checks a SOAP fault as ASMX sends it: prefix soap in both
// versions, the endpoint as faultactor (1.2 Node), an unqualified detail that is
// empty if code is "". fault is the SOAP 1.1 name of the code; msg, if not "",
// is the exact faultstring (1.2 Reason text).
func assertSOAPFault(t *testing.T, r soapResult, soapURL, version, fault, code, msg string) {
	t.Helper()
	body := string(r.Body)
	assert.Equal(t, "private", r.Header.Get("Cache-Control"))
	assert.NotContains(t, body, "soap12")
	detail := `<detail><ECGridOSSOAPErrorCode>` + code + `</ECGridOSSOAPErrorCode></detail></soap:Fault>`
	if code == "" {
		detail = `<detail /></soap:Fault>`
		assert.NotContains(t, body, "ECGridOSSOAPErrorCode")
	}
	if version == "1.1" {
		assert.Equal(t, "text/xml; charset=utf-8", r.Header.Get("Content-Type"))
		assert.Equal(t, env11, r.Names["Fault"])
		assert.Equal(t, "soap:"+fault, r.Fields["faultcode"], "%s", body)
		assert.NotEmpty(t, r.Fields["faultstring"])
		if msg != "" {
			assert.Equal(t, msg, r.Fields["faultstring"])
		}
		assert.Equal(t, soapURL, r.Fields["faultactor"])
		assert.Contains(t, body, `</faultstring><faultactor>`+soapURL+`</faultactor>`+detail)
	} else {
		if f, ok := map[string]string{"Client": "Sender", "Server": "Receiver"}[fault]; ok {
			fault = f
		}
		assert.Equal(t, "application/soap+xml; charset=utf-8", r.Header.Get("Content-Type"))
		assert.Equal(t, env12, r.Names["Fault"])
		assert.Equal(t, "soap:"+fault, r.Fields["Value"], "%s", body)
		assert.NotEmpty(t, r.Fields["Text"])
		if msg != "" {
			assert.Equal(t, msg, r.Fields["Text"])
		}
		assert.Contains(t, body, `</soap:Text></soap:Reason><soap:Node>`+soapURL+`</soap:Node>`+detail)
		assert.Contains(t, body, `<soap:Text xml:lang="en">`)
	}
	assert.Equal(t, "", r.Names["detail"], "the detail is unqualified")
	if code != "" {
		assert.Equal(t, code, r.Fields["ECGridOSSOAPErrorCode"], "%s", body)
	}
}
