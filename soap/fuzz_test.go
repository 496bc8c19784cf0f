package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ecgridkit/ecgrid/internal/core"
	"github.com/ecgridkit/ecgrid/internal/core/coretest"
)

// Secrets handed to classify by the fuzz targets: a session ID and an API
// key used in its place. Some seeds echo them in fault text.
const (
	fuzzSessionID = "S3cr3t-Session-ID"
	fuzzAPIKey    = "AK-fuzz-9d8c7b6a-api-key"
	fuzzKey       = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	fuzzKey32     = "mnp456qrs789tuv012wxy345zab678cd"
)

var fuzzSecrets = []string{fuzzSessionID, fuzzAPIKey}

var fuzzNamespaces = []string{"https://os.ecgrid.io/", "http://www.ecgridos.net/", "http://ecgridos.net/"}

// envPrefix returns the envelope prefix and namespace for a SOAP version.
func envPrefix(soap12 bool) (string, string) {
	if soap12 {
		return "soap12", NamespaceSOAP12
	}
	return "soap", NamespaceSOAP11
}

// successDoc returns a success answer for operation name. prefix is the
// prefix of the operation elements ("" for a default namespace).
func successDoc(soap12 bool, name, ns, prefix, key string) string {
	p, envNS := envPrefix(soap12)
	decl := ` xmlns="` + ns + `"`
	q := ""
	if prefix != "" {
		decl = ` xmlns:` + prefix + `="` + ns + `"`
		q = prefix + ":"
	}
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<` + p + `:Envelope xmlns:` + p + `="` + envNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<` + p + `:Body><` + q + name + `Response` + decl + `><` + q + name + `Result>` + key + `</` + q + name + `Result></` +
		q + name + `Response></` + p + `:Body></` + p + `:Envelope>`
}

// fault11 returns a SOAP 1.1 fault document.
func fault11(faultcode, faultstring, code string) string {
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + NamespaceSOAP11 + `"><soap:Body><soap:Fault>` +
		`<faultcode>` + faultcode + `</faultcode><faultstring>` + faultstring + `</faultstring>` +
		`<detail><ECGridOSSOAPErrorCode xmlns="https://os.ecgrid.io/">` + code + `</ECGridOSSOAPErrorCode></detail>` +
		`</soap:Fault></soap:Body></soap:Envelope>`
}

// fault12 returns a SOAP 1.2 fault document.
func fault12(value, reason, code string) string {
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap12:Envelope xmlns:soap12="` + NamespaceSOAP12 + `"><soap12:Body><soap12:Fault>` +
		`<soap12:Code><soap12:Value>` + value + `</soap12:Value></soap12:Code>` +
		`<soap12:Reason><soap12:Text xml:lang="en">` + reason + `</soap12:Text></soap12:Reason>` +
		`<soap12:Detail><ECGridOSSOAPErrorCode xmlns="https://os.ecgrid.io/">` + code + `</ECGridOSSOAPErrorCode></soap12:Detail>` +
		`</soap12:Fault></soap12:Body></soap12:Envelope>`
}

// successSeeds are complete success documents for both versions, both
// operations, the three namespaces and several prefixes, with no trailing
// bytes after the root element (so every strict prefix is incomplete).
func successSeeds() []struct {
	soap12 bool
	get    bool
	body   string
	key    string
} {
	var out []struct {
		soap12 bool
		get    bool
		body   string
		key    string
	}
	for _, v12 := range []bool{false, true} {
		for _, get := range []bool{false, true} {
			name := "GenerateAPIKey"
			if get {
				name = "UserGetAPIKey"
			}
			for i, ns := range fuzzNamespaces {
				for _, prefix := range []string{"", "tns", "m"} {
					key := fuzzKey
					if i == 1 {
						key = fuzzKey32
					}
					out = append(out, struct {
						soap12 bool
						get    bool
						body   string
						key    string
					}{v12, get, successDoc(v12, name, ns, prefix, key), key})
				}
			}
		}
	}
	return out
}

// operationFor builds the operation classify is called with.
func operationFor(get, soap12 bool) operation {
	if get {
		return prepare("UserGetAPIKey", core.OpGetAPIKey, "https://os.ecgrid.io/", soap12)
	}
	return prepare("GenerateAPIKey", core.OpGenerateAPIKey, "https://os.ecgrid.io/", soap12)
}

// oracleResults reads body with encoding/xml's namespace-aware, strict
// decoder and returns the text of every <Body>/<response>/<result> element
// and whether a <Body>/<Fault> exists; ok is false when body is not a
// well-formed document with one <Envelope> root (end tags must match their
// start tags prefix included, and only white space may surround the root).
func oracleResults(body []byte, response, result string) (results []string, fault, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charsetReader
	var path []string
	var text *strings.Builder
	var cur strings.Builder
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
				cur.Reset()
				text = &cur
			}
		case xml.EndElement:
			if len(path) == 4 && text != nil {
				results = append(results, text.String())
				text = nil
			}
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) == 0 && len(bytes.TrimLeft(t, " \t\r\n")) != 0 {
				return nil, false, false // text outside the root element
			}
			// encoding/xml's Unmarshal keeps the text around child
			// elements of a string field: do the same.
			if text != nil {
				text.Write(t)
			}
		}
	}
}

// checkSOAP asserts the properties every answer must have.
func checkSOAP(t *testing.T, o *operation, status int, body []byte, key string, err error) {
	t.Helper()
	e := coretest.Check(t, key, err, coretest.Want{Op: o.op, Transport: core.TransportSOAP,
		Status: status, UserID: 42, Secrets: fuzzSecrets})
	if e != nil {
		if status/100 == 5 && status != 501 && status != 503 && e.Outcome != core.OutcomeUnknown && e.FaultCode == "" {
			t.Fatalf("HTTP %d without a fault must have an unknown outcome: %v", status, err)
		}
		return
	}
	results, fault, ok := oracleResults(body, o.response, o.result)
	if !ok {
		t.Fatalf("key %q returned from a body that is not a well-formed XML document", key)
	}
	if fault {
		t.Fatalf("key %q returned from a fault", key)
	}
	if len(results) != 1 || strings.TrimSpace(results[0]) != key {
		t.Fatalf("key %q returned, but the document's <%s> elements hold %q", key, o.result, results)
	}
}

func FuzzSOAPAnswer(f *testing.F) {
	add := func(status int, body string, soap12, get bool) { f.Add(status, []byte(body), soap12, get) }

	for _, s := range successSeeds() {
		add(200, s.body, s.soap12, s.get)
	}
	gen11 := successDoc(false, "GenerateAPIKey", "https://os.ecgrid.io/", "", fuzzKey)
	gen12 := successDoc(true, "GenerateAPIKey", "https://os.ecgrid.io/", "", fuzzKey)
	// Success variants: white space around the key, CRLF and a trailing newline,
	// a SOAP header, the Result of the other operation, an empty or self-closed Result.
	add(200, strings.Replace(gen11, fuzzKey, "\r\n  "+fuzzKey+"  \n", 1), false, false)
	add(200, gen11+"\r\n", false, false)
	add(201, gen12, true, false)
	add(200, strings.Replace(gen11, "<soap:Body>", `<soap:Header><Trace xmlns="urn:x">`+fuzzSessionID+`</Trace></soap:Header><soap:Body>`, 1), false, false)
	add(200, gen11, false, true)
	add(200, strings.Replace(gen11, fuzzKey, "", 1), false, false)
	add(200, strings.Replace(gen11, "<GenerateAPIKeyResult>"+fuzzKey+"</GenerateAPIKeyResult>", "<GenerateAPIKeyResult/>", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "<![CDATA["+fuzzKey+"]]>", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8d7c6<!-- c -->-b5a4-3210-fedc-ba9876543210", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8&#x64;7c6-b5a4-3210-fedc-ba9876543210", 1), false, false)
	add(200, strings.Replace(gen11, fuzzKey, "f9e8\x01d7c6", 1), false, false)
	// Non-2xx status carrying a success body.
	add(500, gen11, false, false)
	add(404, gen12, true, true)
	add(302, gen11, false, false)
	// An ISO-8859-1 declared body, and a charset encoding/xml can't read.
	latin := strings.Replace(strings.Replace(gen11, "utf-8", "ISO-8859-1", 1), fuzzKey, "cl\xe9-"+fuzzKey32, 1)
	add(200, latin, false, false)
	add(200, strings.Replace(gen11, "utf-8", "UTF-16", 1), false, false)
	add(200, strings.Replace(fault11("soap:Client", "Session \xab"+fuzzSessionID+"\xbb inconnue", "Authentication"), "utf-8", "iso-8859-1", 1), false, false)

	// SOAP 1.1 faults.
	add(500, fault11("soap:Client", "Invalid Session ID", "Authentication"), false, false)
	add(500, fault11("soap:Client", "Invalid Session ID "+fuzzSessionID, "Authentication"), false, false)
	add(500, fault11("soap:Client", "Session "+fuzzSessionID+" expired; key "+fuzzAPIKey+" refused", "Authorization"), false, true)
	add(500, fault11("soap:Client", "S3cr3t&#45;Session-ID", "Authentication"), false, false)
	add(500, fault11("soap:Client", "S3cr3t-<![CDATA[Session]]>-ID", "Authentication"), false, false)
	add(500, fault11("soap:Client.Auth", "no", "ObjectNotFound"), false, false)
	add(500, fault11("soap:Server", "Server was unable to process request. "+fuzzSessionID, "SystemError"), false, false)
	add(500, fault11("Server", "boom", "99"), false, false)
	add(500, fault11("soap:Client", strings.Repeat("x", 600)+fuzzSessionID, "InvalidParameter"), false, false)
	add(500, fault11("soap:Client", strings.Repeat("\u00e9", 300)+fuzzSessionID, "5"), false, false)
	add(200, fault11("soap:Client", "no", "Authorization"), false, false)
	add(400, fault11("soap:Client", "bad", ""), false, false)
	add(429, fault11("soap:Client", "slow down", ""), false, false)
	add(503, fault11("soap:Server", "down", ""), false, false)
	add(500, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="`+NamespaceSOAP11+
		`"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring/></soap:Fault></soap:Body></soap:Envelope>`, false, false)
	// SOAP 1.2 faults.
	add(500, fault12("soap12:Sender", "Invalid Session ID", "Authentication"), true, false)
	add(500, fault12("soap12:Sender", "Invalid Session ID: "+fuzzSessionID, "5"), true, false)
	add(500, fault12("soap12:Receiver", "Server error for "+fuzzAPIKey, "SystemError"), true, true)
	add(500, fault12("soap12:Receiver", "boom", "5"), true, false)
	add(200, fault12("soap12:Sender", "no", "Authorization"), true, false)
	add(500, strings.Replace(fault12("soap12:Sender", "first", "5"), "</soap12:Reason>",
		`<soap12:Text xml:lang="fr">`+fuzzSessionID+`</soap12:Text></soap12:Reason>`, 1), true, false)
	// Truncated bodies.
	add(200, gen11[:len(gen11)/2], false, false)
	add(200, gen11[:strings.Index(gen11, "</GenerateAPIKeyResult>")], false, false)
	add(200, gen12[:len(gen12)-1], true, false)
	add(500, fault11("soap:Client", "x", "Authentication")[:200], false, false)
	// Not SOAP at all.
	add(200, "", false, false)
	add(500, "", false, false)
	add(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", false, false)
	add(200, "<html><body>Welcome</body></html>", false, false)
	add(200, "<!DOCTYPE html><html><head><title>Login</title></head><body>"+fuzzSessionID+"</body></html>", false, false)
	add(404, "<html>Not Found</html>", true, false)
	add(200, `{"success":true,"data":"`+fuzzKey+`"}`, false, false)
	add(200, "<Envelope><Body><GenerateAPIKeyResponse><GenerateAPIKeyResult>"+fuzzKey+
		"</GenerateAPIKeyResult></GenerateAPIKeyResponse></Body></Envelope>", false, false)

	f.Fuzz(func(t *testing.T, status int, body []byte, soap12, get bool) {
		status = coretest.Status(status)
		o := operationFor(get, soap12)
		h := http.Header{}
		h.Set("Content-Type", "text/xml; charset=utf-8")
		h.Set("Retry-After", "3")
		key, err := classify(&o, 42, status, h, body, fuzzSecrets)
		checkSOAP(t, &o, status, body, key, err)
		if key != "" {
			// A document holding a key is complete: dropping its last byte
			// must not still give a key, unless that byte was trailing
			// white space after the root element.
			cut := body[:len(body)-1]
			if k2, _ := classify(&o, 42, status, h, cut, fuzzSecrets); k2 != "" && !isXMLSpace(body[len(body)-1]) {
				t.Fatalf("a key is still returned after dropping the last byte %q", body[len(body)-1])
			}
		}
	})
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// TestSOAPTruncatedNeverYieldsKey cuts every success seed at every byte
// offset: each strict prefix must give an error, never a key.
func TestSOAPTruncatedNeverYieldsKey(t *testing.T) {
	for _, s := range successSeeds() {
		o := operationFor(s.get, s.soap12)
		body := []byte(s.body)
		key, err := classify(&o, 42, 200, http.Header{}, body, fuzzSecrets)
		if err != nil || key != s.key {
			t.Fatalf("full document: key %q, err %v; want %q\n%s", key, err, s.key, body)
		}
		for n := 0; n < len(body); n++ {
			key, err := classify(&o, 42, 200, http.Header{}, body[:n], fuzzSecrets)
			if key != "" || err == nil {
				t.Fatalf("prefix of %d/%d bytes gave key %q, err %v:\n%s", n, len(body), key, err, body[:n])
			}
			var e *core.Error
			if !errors.As(err, &e) || e.Kind != core.ErrBadResponse || e.Outcome != core.OutcomeUnknown {
				t.Fatalf("prefix of %d/%d bytes: want a bad response with an unknown outcome, got %v", n, len(body), err)
			}
			checkSOAP(t, &o, 200, body[:n], key, err)
		}
	}
}
