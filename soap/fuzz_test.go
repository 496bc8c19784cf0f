package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// Secrets handed to read by the fuzz target: a session ID, an API key used
// in its place, and Login's password. Seeds echo them in every field of a
// fault. The password holds the characters XML escapes, so that only a
// decoded echo matches it.
const (
	fuzzSessionID = "S3cr3t-Session-ID"
	fuzzAPIKey    = "AK-fuzz-9d8c7b6a-api-key"
	fuzzPassword  = `Pa55<w&rd>"fuzz'`
	fuzzKey       = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	fuzzKey32     = "mnp456qrs789tuv012wxy345zab678cd"
	fuzzNewSessID = "a1b2c3d4-0000-4000-8000-123456789abc"
)

var fuzzNamespaces = KnownNamespaces()

// fuzzOpNames are the operations the fuzz target reads every input as.
var fuzzOpNames = []string{OpGenerateAPIKey, OpUserGetAPIKey, OpLogin, OpLogout, OpWhoAmI}

// fuzzSecrets returns the secrets op's public method hands to read: the
// password for Login, else the session ID or, with apiKey, the API key
// passed in its place.
func fuzzSecrets(op string, apiKey bool) []string {
	switch {
	case op == OpLogin:
		return []string{fuzzPassword}
	case apiKey:
		return []string{fuzzAPIKey}
	}
	return []string{fuzzSessionID}
}

// readAs reads an answer as op would, and returns what op's public method
// returns: the method drops the answer when read fails.
func readAs(p *prepared, status int, h http.Header, body []byte, secrets []string) (answer, error) {
	var a answer
	if err := read(p, &a, status, h, body, secrets); err != nil {
		return answer{}, err
	}
	return a, nil
}

func fuzzStatus(s int) int {
	if s >= 100 && s <= 599 {
		return s
	}
	s %= 500
	if s < 0 {
		s += 500
	}
	return 100 + s
}

// unprintable returns the first character of s that must never reach an
// error's text: invalid UTF-8, a C0 or C1 control, DEL, a line or paragraph
// separator, or a format character (Cf: bidi controls, zero-width joiners,
// the BOM, …).
func unprintable(s string) (string, bool) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return strconv.Quote(s[i : i+1]), true
		case r < 0x20, r >= 0x7f && r <= 0x9f, r == 0x2028, r == 0x2029, unicode.Is(unicode.Cf, r):
			return strconv.QuoteRuneToASCII(r), true
		}
		i += n
	}
	return "", false
}

func checkText(t *testing.T, what, s string, secrets []string) {
	t.Helper()
	for _, v := range secrets {
		if strings.Contains(s, v) {
			t.Fatalf("%s holds the secret %q: %q", what, v, s)
		}
	}
	if c, bad := unprintable(s); bad {
		t.Fatalf("%s holds the unprintable character %s: %q", what, c, s)
	}
}

// checkError asserts what every *Error of read must be.
func checkError(t *testing.T, op string, status int, err error, secrets []string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e == nil {
		t.Fatalf("%s: the error is %T, not a *Error: %v", op, err, err)
	}
	if e.Op != op || e.StatusCode != status || e.NotSent {
		t.Fatalf("%s: got Op %q, StatusCode %d, NotSent %v; want %q, %d, false", op, e.Op, e.StatusCode, e.NotSent, op, status)
	}
	checkText(t, op+": Error()", e.Error(), secrets)
	for name, s := range map[string]string{"Message": e.Message, "ErrorCode": e.ErrorCode, "FaultCode": e.FaultCode, "Problem": e.Problem} {
		checkText(t, op+": "+name, s, secrets)
	}
	if e.Fault && e.Problem != "" || !e.Fault && (e.Problem == "" || e.FaultCode != "" || e.ErrorCode != "" || e.Message != "") {
		t.Fatalf("%s: Fault %v with Problem %q, FaultCode %q, ErrorCode %q, Message %q", op, e.Fault, e.Problem, e.FaultCode, e.ErrorCode, e.Message)
	}
	want := time.Duration(0)
	if status == 429 || status == 503 {
		want = 3 * time.Second // the Retry-After the fuzz target sends
	}
	if e.RetryAfter != want {
		t.Fatalf("%s: HTTP %d: RetryAfter %v, want %v", op, status, e.RetryAfter, want)
	}
	return e
}

// oracle reads body with encoding/xml's namespace-aware decoder, whose
// Token checks that end tags match their start tags: it returns the text of
// every <Body>/<response>/<result> element (the character data directly
// inside it) and whether a <Body>/<Fault> exists. ok is false when body is
// not a well-formed document with one <Envelope> root.
func oracle(body []byte, response, result string) (results []string, fault, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, bom)))
	d.CharsetReader = charsetReader
	var path []string
	var cur *strings.Builder
	roots := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return results, fault, len(path) == 0 && roots == 1
		}
		if err != nil {
			return nil, false, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == 0 {
				roots++
				if t.Name.Local != "Envelope" {
					return nil, false, false
				}
			}
			path = append(path, t.Name.Local)
			if len(path) == 3 && path[1] == "Body" && path[2] == "Fault" {
				fault = true
			}
			if len(path) == 4 && path[1] == "Body" && path[2] == response && path[3] == result {
				cur = new(strings.Builder)
			}
		case xml.EndElement:
			if len(path) == 4 && cur != nil {
				results = append(results, cur.String())
				cur = nil
			}
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) == 0 && len(bytes.TrimLeft(t, " \t\r\n")) != 0 {
				return nil, false, false // text outside the root element
			}
			if cur != nil && len(path) == 4 {
				cur.Write(t)
			}
		}
	}
}

// onlyMisc reports whether rest can follow a document's root element:
// nothing but white space, comments and processing instructions.
func onlyMisc(rest []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(rest))
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimLeft(t, " \t\r\n")) != 0 {
				return false
			}
		default:
			return false
		}
	}
}

// checkSuccess asserts what a successful read must be backed by.
func checkSuccess(t *testing.T, p *prepared, status int, body []byte, a answer) {
	t.Helper()
	if status < 200 || status > 299 {
		t.Fatalf("%s: success for HTTP %d", p.name, status)
	}
	results, fault, ok := oracle(body, p.response, p.result)
	switch {
	case !ok:
		t.Fatalf("%s: success from a body that is not a well-formed SOAP document", p.name)
	case fault:
		t.Fatalf("%s: success from an answer that holds a fault", p.name)
	case len(results) != 1:
		t.Fatalf("%s: success from an answer with %d <%s> in <%s>", p.name, len(results), p.result, p.response)
	}
	text := strings.TrimSpace(results[0])
	switch p.name {
	case OpGenerateAPIKey, OpUserGetAPIKey, OpLogin:
		if a.key != text {
			t.Fatalf("%s: returned %q, the document's <%s> holds %q", p.name, a.key, p.result, results[0])
		}
		if err := wire.CheckSecret("result", a.key); err != nil {
			t.Fatalf("%s: the result returned fails CheckSecret: %v: %q", p.name, err, a.key)
		}
		if strings.TrimFunc(a.key, unicode.IsSpace) != a.key {
			t.Fatalf("%s: the result returned has surrounding white space: %q", p.name, a.key)
		}
	case OpLogout:
		if b, err := strconv.ParseBool(text); err != nil || b != a.ok {
			t.Fatalf("Logout: returned %v, the document's LogoutResult holds %q", a.ok, results[0])
		}
	case OpWhoAmI:
		if a.info.UserID <= 0 {
			t.Fatalf("WhoAmI: success without a user ID: %+v", a.info)
		}
		for _, s := range []string{a.info.Login, a.info.AuthLevel} {
			if c, bad := unprintable(s); bad {
				t.Fatalf("WhoAmI: a UserIDInfo field holds the unprintable character %s: %q", c, s)
			}
		}
	}
}

// checkPrefixes asserts that no strict prefix of a successful answer is a
// success too, unless all it leaves out is what may follow the root element
// (white space, comments). The prefixes are sampled (prefixLengths):
// TestTruncatedNeverSucceeds tries every one of the seeds'.
func checkPrefixes(t *testing.T, p *prepared, status int, h http.Header, body []byte, secrets []string) {
	t.Helper()
	for _, n := range prefixLengths(len(body)) {
		if _, err := readAs(p, status, h, body[:n], secrets); err == nil && !onlyMisc(body[n:]) {
			t.Fatalf("%s: the prefix of %d of %d bytes is a success too: %q", p.name, n, len(body), body[:n])
		}
	}
}

var bom = []byte("\xef\xbb\xbf")

// envelope wraps inner in a SOAP envelope of the version (prefix "soap", as
// ASMX writes for both).
func envelope(soap12 bool, inner string) string {
	ns := NamespaceSOAP11
	if soap12 {
		ns = NamespaceSOAP12
	}
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + ns + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<soap:Body>` + inner + `</soap:Body></soap:Envelope>`
}

// successDoc returns a success answer of operation name, whose result
// element holds inner (already XML). prefix is the prefix of the operation
// elements ("" for a default namespace).
func successDoc(soap12 bool, name, ns, prefix, inner string) string {
	decl := ` xmlns="` + ns + `"`
	q := ""
	if prefix != "" {
		decl = ` xmlns:` + prefix + `="` + ns + `"`
		q = prefix + ":"
	}
	return envelope(soap12, `<`+q+name+`Response`+decl+`><`+q+name+`Result>`+inner+`</`+q+name+`Result></`+q+name+`Response>`)
}

// whoAmIInner is the content of a WhoAmIResult.
const whoAmIInner = `<UserID>42</UserID><Login>jdoe</Login><NetworkID>1</NetworkID><MailboxID>2</MailboxID><AuthLevel>NetworkAdmin</AuthLevel>`

// fault11 returns a SOAP 1.1 fault as ASMX sends it, with a faultactor.
func fault11(faultcode, faultstring, code string) string {
	return envelope(false, `<soap:Fault><faultcode>`+faultcode+`</faultcode><faultstring>`+faultstring+`</faultstring>`+
		`<faultactor>https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx</faultactor>`+
		`<detail><ECGridOSSOAPErrorCode xmlns="https://os.ecgrid.io/">`+code+`</ECGridOSSOAPErrorCode></detail>`+
		`</soap:Fault>`)
}

// fault12 returns a SOAP 1.2 fault; asmx selects ASMX's shape (a Node, and
// an unqualified lower-case <detail>) over soap:Detail.
func fault12(value, reason, code string, asmx bool) string {
	detail := `<soap:Detail><ECGridOSSOAPErrorCode xmlns="https://os.ecgrid.io/">` + code + `</ECGridOSSOAPErrorCode></soap:Detail>`
	if asmx {
		detail = `<soap:Node>https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx</soap:Node>` +
			`<detail><ECGridOSSOAPErrorCode xmlns="https://os.ecgrid.io/">` + code + `</ECGridOSSOAPErrorCode></detail>`
	}
	return envelope(true, `<soap:Fault><soap:Code><soap:Value>`+value+`</soap:Value></soap:Code>`+
		`<soap:Reason><soap:Text xml:lang="en">`+reason+`</soap:Text></soap:Reason>`+detail+`</soap:Fault>`)
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

type successSeed struct {
	soap12 bool
	op     string
	body   string
}

// successSeeds are complete success answers of every operation for both
// versions, the three namespaces and several prefixes, with nothing after
// the root element.
func successSeeds() []successSeed {
	inner := map[string]string{
		OpGenerateAPIKey: fuzzKey,
		OpUserGetAPIKey:  fuzzKey32,
		OpLogin:          fuzzNewSessID,
		OpLogout:         "true",
		OpWhoAmI:         whoAmIInner,
	}
	var out []successSeed
	for _, v12 := range []bool{false, true} {
		for _, op := range fuzzOpNames {
			for _, ns := range fuzzNamespaces {
				for _, prefix := range []string{"", "tns"} {
					out = append(out, successSeed{v12, op, successDoc(v12, op, ns, prefix, inner[op])})
				}
			}
		}
	}
	return out
}

func FuzzSOAPAnswer(f *testing.F) {
	// The arguments are those of the corpus files: the status, the body,
	// the SOAP version of the prepared operations and, in place of the old
	// target's operation switch, whether the API key is the secret handed
	// to read (else the session ID). Every input is read as every
	// operation.
	add := func(status int, body string, soap12, apiKey bool) { f.Add(status, []byte(body), soap12, apiKey) }

	for _, s := range successSeeds() {
		add(200, s.body, s.soap12, false)
	}
	gen11 := successDoc(false, OpGenerateAPIKey, DefaultNamespace, "", fuzzKey)
	gen12 := successDoc(true, OpGenerateAPIKey, DefaultNamespace, "", fuzzKey)
	add(200, string(bom)+gen11, false, false)
	// Success variants: white space around the key, CRLF and a trailing
	// newline, a SOAP header, an empty or self-closed Result, CDATA, a
	// comment, a character reference, a control character.
	add(200, strings.Replace(gen11, fuzzKey, "\r\n  "+fuzzKey+"  \n", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "\u00a0"+fuzzKey+"\u0085", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, fuzzKey+"\u202e", 1), false, false)
	add(200, gen11+"\r\n", false, false)
	add(200, gen11+"<!-- trailing -->", false, false)
	add(201, gen12, true, false)
	add(200, strings.Replace(gen11, "<soap:Body>", `<soap:Header><Trace xmlns="urn:x">`+fuzzSessionID+`</Trace></soap:Header><soap:Body>`, 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "", 1), false, false)
	add(200, strings.Replace(gen11, "<GenerateAPIKeyResult>"+fuzzKey+"</GenerateAPIKeyResult>", "<GenerateAPIKeyResult/>", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "<![CDATA["+fuzzKey+"]]>", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8d7c6<!-- c -->-b5a4-3210-fedc-ba9876543210", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8&#x64;7c6-b5a4-3210-fedc-ba9876543210", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8\x01d7c6", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8&#1;d7c6", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8<b/>d7c6", 1), false, false)
	// A result in another operation's response element, and a result and a
	// fault in one answer.
	add(200, envelope(false, `<UserGetAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult>`+fuzzKey+`</GenerateAPIKeyResult></UserGetAPIKeyResponse>`), false, false)
	add(200, envelope(false, `<GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><UserGetAPIKeyResult>`+fuzzKey+`</UserGetAPIKeyResult></GenerateAPIKeyResponse>`), false, false)
	add(200, strings.Replace(gen11, "</soap:Body>", `<soap:Fault><faultcode>soap:Server</faultcode><faultstring>x</faultstring></soap:Fault></soap:Body>`, 1), false, false)
	add(200, strings.Replace(gen12, "<soap:Body>", `<soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code></soap:Fault>`, 1), true, false)
	add(200, strings.Replace(gen11, "</GenerateAPIKeyResponse>", `</GenerateAPIKeyResponse><Other><GenerateAPIKeyResult><x/>-EXTRA</GenerateAPIKeyResult></Other>`, 1), false, false)
	add(200, strings.Replace(gen11, "</GenerateAPIKeyResponse>", `</GenerateAPIKeyResponse><GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult>0123</GenerateAPIKeyResult></GenerateAPIKeyResponse>`, 1), false, false)
	// Results of the other operations that are not usable.
	add(200, successDoc(false, OpLogin, DefaultNamespace, "", " "), false, false)
	add(200, successDoc(false, OpLogout, DefaultNamespace, "", "yes"), false, false)
	add(200, successDoc(false, OpLogout, DefaultNamespace, "", "false"), false, false)
	add(200, successDoc(false, OpWhoAmI, DefaultNamespace, "", "<UserID>0</UserID>"), false, false)
	add(200, successDoc(false, OpWhoAmI, DefaultNamespace, "", "<UserID>42</UserID><Login>ev&#x202e;il&#7;\n</Login><AuthLevel>"+strings.Repeat("A", 100)+"</AuthLevel>"), false, false)
	add(200, successDoc(false, OpWhoAmI, DefaultNamespace, "", "<UserID>42<x>1</x></UserID>"), false, false)
	// Non-2xx status carrying a success body.
	add(500, gen11, false, false)
	add(404, gen12, true, false)
	add(302, gen11, false, false)
	// An ISO-8859-1 declared body, and a charset encoding/xml can't read.
	latin := strings.Replace(strings.Replace(gen11, "utf-8", "ISO-8859-1", 1), fuzzKey, "cl\xe9-"+fuzzKey32, 1)
	add(200, latin, false, false)
	add(200, strings.Replace(gen11, "utf-8", "UTF-16", 1), false, false)
	add(200, strings.Replace(fault11("soap:Client", "Session \xab"+fuzzSessionID+"\xbb inconnue", "Authentication"), "utf-8", "iso-8859-1", 1), false, false)

	// SOAP 1.1 faults, echoing secrets in every field.
	add(500, fault11("soap:Client", "Invalid Session ID", "Authentication"), false, false)
	add(500, fault11("soap:Client", "Invalid Session ID "+fuzzSessionID, "Authentication"), false, false)
	add(500, fault11("soap:Client", "Session "+fuzzSessionID+" expired; key "+fuzzAPIKey+" refused", "Authorization"), false, true)
	add(500, fault11("soap:Client", "Bad password "+xmlText(fuzzPassword), "Authentication"), false, false)
	add(500, fault11("soap:Client", "Bad password", xmlText(fuzzPassword)), false, false)
	add(500, fault11("soap:"+fuzzSessionID, "Invalid Session ID", "Authentication"), false, false)
	add(500, fault11("soap:Client", "Invalid Session ID", fuzzSessionID), false, false)
	add(500, fault11("soap:Client", "S3cr3t&#45;Session-ID", "Authentication"), false, false)
	add(500, fault11("soap:Client", "S3cr3t-<![CDATA[Session]]>-ID", "Authentication"), false, false)
	add(500, fault11("soap:Client", "bidi &#x202e; nel &#x85; ls &#x2028; esc \x1b[31m", "Authentication"), false, false)
	add(500, fault11("soap:Client.Auth", "no", "ObjectNotFound"), false, false)
	add(500, fault11("soap:Server", "Server was unable to process request. ---> "+fuzzSessionID, "SystemError"), false, false)
	add(500, fault11("Server", "boom", "99"), false, false)
	add(500, fault11("soap:Client", strings.Repeat("x", 600)+fuzzSessionID, "InvalidParameter"), false, false)
	add(500, fault11("soap:Client", strings.Repeat("\u00e9", 300)+fuzzSessionID, "5"), false, false)
	add(500, fault11("soap:Client", "Server did not recognize the value of HTTP Header SOAPAction: https://os.ecgrid.io/GenerateAPIKey.", ""), false, false)
	add(200, fault11("soap:Client", "no", "Authorization"), false, false)
	add(400, fault11("soap:Client", "bad", ""), false, false)
	add(429, fault11("soap:Client", "slow down", ""), false, false)
	add(503, fault11("soap:Server", "down", ""), false, false)
	add(500, envelope(false, `<soap:Fault><faultcode>soap:Server</faultcode><faultstring/><detail/></soap:Fault>`), false, false)
	// SOAP 1.2 faults, in both detail shapes.
	for _, asmx := range []bool{false, true} {
		add(500, fault12("soap:Sender", "Invalid Session ID", "Authentication", asmx), true, false)
		add(500, fault12("soap:Sender", "Invalid Session ID: "+fuzzSessionID, "5", asmx), true, false)
		add(500, fault12("soap:Receiver", "Server error for "+fuzzAPIKey, "SystemError", asmx), true, true)
		add(500, fault12("soap:Sender", "Unable to handle request. The action '{0}' was not recognized.", "", asmx), true, false)
		add(200, fault12("soap:Sender", "no", "Authorization", asmx), true, false)
	}
	add(500, strings.Replace(fault12("soap:Sender", "first", "5", false), "</soap:Reason>",
		`<soap:Text xml:lang="fr">`+fuzzSessionID+`</soap:Text></soap:Reason>`, 1), true, false)
	// Truncated bodies.
	add(200, gen11[:len(gen11)/2], false, false)
	add(200, gen11[:strings.Index(gen11, "</GenerateAPIKeyResult>")], false, false)
	add(200, gen12[:len(gen12)-1], true, false)
	add(500, fault11("soap:Client", "x", "Authentication")[:200], false, false)
	// Not SOAP at all.
	add(200, "", false, false)
	add(500, "", false, false)
	add(400, "", false, false)
	add(415, "", false, false)
	add(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", false, false)
	add(200, "<html><body>Welcome</body></html>", false, false)
	add(200, "<!DOCTYPE html><html><head><title>Login</title></head><body>"+fuzzSessionID+"</body></html>", false, false)
	add(200, `<!DOCTYPE x [<!ENTITY s "`+fuzzSessionID+`">]>`+strings.Replace(gen11[strings.Index(gen11, "?>")+2:], fuzzKey, "&s;", 1), false, false)
	add(404, "<html>Not Found</html>", true, false)
	add(200, `{"success":true,"data":"`+fuzzKey+`"}`, false, false)
	add(200, "<Envelope><Body><GenerateAPIKeyResponse><GenerateAPIKeyResult>"+fuzzKey+
		"</GenerateAPIKeyResult></GenerateAPIKeyResponse></Body></Envelope>", false, false)
	add(200, "<Envelope><Body><GenerateAPIKeyResponse><GenerateAPIKeyResult>&"+fuzzSessionID+
		";</GenerateAPIKeyResult></GenerateAPIKeyResponse></Body></Envelope>", false, false)
	add(200, "<Envelope><"+fuzzSessionID+"></Envelope>", false, false)

	f.Fuzz(func(t *testing.T, status int, body []byte, soap12, apiKey bool) {
		status = fuzzStatus(status)
		h := http.Header{}
		h.Set("Content-Type", "text/xml; charset=utf-8")
		h.Set("Retry-After", "3")
		ns := prepareNamespace(DefaultNamespace, soap12)
		for _, op := range fuzzOpNames {
			p := ns.ops[op]
			secrets := fuzzSecrets(op, apiKey)
			a, err := readAs(p, status, h, body, secrets)
			if err != nil {
				checkError(t, op, status, err, secrets)
			} else {
				checkSuccess(t, p, status, body, a)
				checkPrefixes(t, p, status, h, body, secrets)
			}
			if !bytes.HasPrefix(body, bom) {
				// One leading BOM changes nothing (a second one would be
				// text before the root element).
				a2, err2 := readAs(p, status, h, append(append([]byte(nil), bom...), body...), secrets)
				if a2 != a || !reflect.DeepEqual(err, err2) {
					t.Fatalf("%s: a leading BOM changes the outcome:\n%+v %v\n%+v %v", op, a, err, a2, err2)
				}
			}
		}
	})
}

// TestTruncatedNeverSucceeds cuts every success seed at every byte offset:
// each strict prefix must give an *Error, never a result.
func TestTruncatedNeverSucceeds(t *testing.T) {
	for _, s := range successSeeds() {
		p := prepareNamespace(DefaultNamespace, s.soap12).ops[s.op]
		secrets := fuzzSecrets(s.op, false)
		for _, body := range [][]byte{[]byte(s.body), append(append([]byte(nil), bom...), s.body...)} {
			if _, err := readAs(p, 200, http.Header{}, body, secrets); err != nil {
				t.Fatalf("%s: the full document: %v\n%s", s.op, err, body)
			}
			for n := 0; n < len(body); n++ {
				a, err := readAs(p, 200, http.Header{}, body[:n], secrets)
				if err == nil {
					t.Fatalf("%s: the prefix of %d of %d bytes gave %+v:\n%s", s.op, n, len(body), a, body[:n])
				}
				checkError(t, s.op, 200, err, secrets)
			}
		}
	}
}

// TestResultAndFault: an answer holding both a result and a fault is never
// a success, in either order, for every operation and version.
func TestResultAndFault(t *testing.T) {
	for _, s := range successSeeds() {
		p := prepareNamespace(DefaultNamespace, s.soap12).ops[s.op]
		fault := `<soap:Fault><faultcode>soap:Server</faultcode><faultstring>x</faultstring></soap:Fault>`
		if s.soap12 {
			fault = `<soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">x</soap:Text></soap:Reason></soap:Fault>`
		}
		for _, body := range []string{
			strings.Replace(s.body, "<soap:Body>", "<soap:Body>"+fault, 1),
			strings.Replace(s.body, "</soap:Body>", fault+"</soap:Body>", 1),
		} {
			a, err := readAs(p, 200, http.Header{}, []byte(body), fuzzSecrets(s.op, false))
			if err == nil {
				t.Fatalf("%s: success %+v from\n%s", s.op, a, body)
			}
			if e := checkError(t, s.op, 200, err, nil); e.Fault || !strings.Contains(e.Problem, "both a result and a fault") {
				t.Fatalf("%s: %v", s.op, err)
			}
		}
	}
}

// prefixLengths returns the lengths of the strict prefixes of an n-byte body
// the fuzz target tries: every cut in the last 64 bytes and 64 others spread
// evenly, so that an input costs O(n) and minimization stays fast.
func prefixLengths(n int) []int {
	var out []int
	for i := n - 1; i >= 0 && i >= n-64; i-- {
		out = append(out, i)
	}
	if n > 64 {
		for i := 0; i < 64; i++ {
			out = append(out, i*(n-64)/64)
		}
	}
	return out
}
