package ecgridtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// SOAP envelope namespaces.
const (
	// SOAP11EnvelopeNS is the SOAP 1.1 envelope namespace.
	SOAP11EnvelopeNS = "http://schemas.xmlsoap.org/soap/envelope/"
	// SOAP12EnvelopeNS is the SOAP 1.2 envelope namespace.
	SOAP12EnvelopeNS = "http://www.w3.org/2003/05/soap-envelope"
)

// operationNamespaces are the namespaces accepted for the SOAP operation element.
var operationNamespaces = []string{"https://os.ecgrid.io/", "http://www.ecgridos.net/", "http://ecgridos.net/"}

// SOAP operation element names.
const (
	soapOpGenerate = "GenerateAPIKey"
	soapOpGet      = "UserGetAPIKey"
)

// ECGridOSSOAPErrorCode names.
const (
	soapCodeAuthentication   = "Authentication"
	soapCodeAuthorization    = "Authorization"
	soapCodeObjectNotFound   = "ObjectNotFound"
	soapCodeInvalidParameter = "InvalidParameter"
	soapCodeSystemError      = "SystemError"
)

func (s *Server) serveSOAP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		s.logRequest(r, TransportSOAP, "", 0, "", "")
		if !hasWSDLQuery(r) {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.serveWSDL(w, r)
		return
	}
	if r.Method != http.MethodPost {
		s.logRequest(r, TransportSOAP, "", 0, "", "")
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}

	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var v12 bool
	switch {
	case err == nil && mt == "text/xml":
	case err == nil && mt == "application/soap+xml":
		v12 = true
	default:
		s.logRequest(r, TransportSOAP, "", 0, "", "")
		http.Error(w, "415 unsupported media type: use text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)",
			http.StatusUnsupportedMediaType)
		return
	}
	version := "1.1"
	if v12 {
		version = "1.2"
	}

	body, ok := readBody(w, r)
	if !ok {
		s.logRequest(r, TransportSOAP, "", 0, version, "")
		return
	}
	a := soapAnswerer{v12: v12, ns: s.ns}
	call, perr := parseEnvelope(body)
	if perr != nil {
		s.logRequest(r, TransportSOAP, "", 0, version, "")
		a.clientFault(w, soapCodeInvalidParameter, "Server was unable to read request: "+perr.Error())
		return
	}
	op := ""
	switch call.op {
	case soapOpGenerate:
		op = OpGenerateAPIKey
	case soapOpGet:
		op = OpGetAPIKey
	}
	a.op = call.op
	id, idOK := parseUserID(strings.TrimSpace(call.userID))
	_, idErr := strconv.ParseInt(strings.TrimSpace(call.userID), 10, 32)
	s.logRequest(r, TransportSOAP, op, id, version, call.sessionID)

	// Protocol checks: these fail before any fault is consumed.
	wantEnv := SOAP11EnvelopeNS
	if v12 {
		wantEnv = SOAP12EnvelopeNS
	}
	action, hasAction := "", false
	if v12 {
		action, hasAction = params["action"]
	} else if vs, ok := r.Header["Soapaction"]; ok && len(vs) > 0 {
		action, hasAction = vs[0], true
	}
	action = strings.Trim(strings.TrimSpace(action), `"`)
	switch {
	case call.envNS != wantEnv:
		a.clientFault(w, soapCodeInvalidParameter, fmt.Sprintf(
			"The envelope namespace %q does not match SOAP %s (expected %q).", call.envNS, version, wantEnv))
		return
	case !call.hasBody || call.bodyNS != wantEnv:
		a.clientFault(w, soapCodeInvalidParameter, "The envelope has no Body element in the envelope namespace.")
		return
	case op == "":
		a.clientFault(w, soapCodeInvalidParameter, fmt.Sprintf("Unknown operation %q.", call.op))
		return
	case !v12 && !hasAction:
		a.clientFault(w, soapCodeInvalidParameter, "The SOAPAction header is required for SOAP 1.1.")
		return
	case hasAction && action != expectedAction(call.opNS, call.op):
		a.clientFault(w, soapCodeInvalidParameter, fmt.Sprintf(
			"Server did not recognize the value of the SOAP action %q for operation %s.", action, call.op))
		return
	case !knownOperationNS(call.opNS):
		a.clientFault(w, soapCodeInvalidParameter, fmt.Sprintf("Unknown operation namespace %q.", call.opNS))
		return
	case call.hasUserID && idErr != nil:
		a.clientFault(w, soapCodeInvalidParameter, "UserID is not a valid xs:int.")
		return
	}

	f := s.takeFault(TransportSOAP, op)
	cred := credential{value: call.sessionID, present: call.hasSession, allowSess: true}
	s.answer(w, r, a, f, func() (string, *opError) {
		return s.perform(op, cred, id, idOK)
	})
}

func knownOperationNS(ns string) bool {
	for _, k := range operationNamespaces {
		if ns == k {
			return true
		}
	}
	return false
}

// soapCall is what parseEnvelope extracted from a request.
type soapCall struct {
	envNS      string
	hasBody    bool
	bodyNS     string
	op, opNS   string
	sessionID  string
	hasSession bool
	userID     string
	hasUserID  bool
}

// parseEnvelope reads a SOAP request by local element names.
func parseEnvelope(b []byte) (*soapCall, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var c soapCall
	root, err := nextStart(d)
	if err != nil {
		return nil, fmt.Errorf("not well-formed XML: %v", err)
	}
	if root.Name.Local != "Envelope" {
		return nil, fmt.Errorf("root element is %q, not Envelope", root.Name.Local)
	}
	c.envNS = root.Name.Space
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "Body" && !c.hasBody {
				c.hasBody, c.bodyNS = true, t.Name.Space
				if err := parseBody(d, &c); err != nil {
					return nil, fmt.Errorf("not well-formed XML: %v", err)
				}
			} else if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("not well-formed XML: %v", err)
			}
		case xml.EndElement:
			// End of Envelope: make sure the rest is well-formed too.
			for {
				if _, err := d.Token(); err == io.EOF {
					return &c, nil
				} else if err != nil {
					return nil, fmt.Errorf("not well-formed XML: %v", err)
				}
			}
		}
	}
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if t, ok := tok.(xml.StartElement); ok {
			return t, nil
		}
	}
}

// parseBody reads the Body element's content up to its end tag.
func parseBody(d *xml.Decoder, c *soapCall) error {
	seenOp := false
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if seenOp {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			seenOp = true
			c.op, c.opNS = t.Name.Local, t.Name.Space
			if err := parseOperation(d, c); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// parseOperation reads the operation element's children up to its end tag.
func parseOperation(d *xml.Decoder, c *soapCall) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var text struct {
				V string `xml:",chardata"`
			}
			switch t.Name.Local {
			case "SessionID":
				if err := d.DecodeElement(&text, &t); err != nil {
					return err
				}
				c.sessionID, c.hasSession = text.V, true
			case "UserID":
				if err := d.DecodeElement(&text, &t); err != nil {
					return err
				}
				c.userID, c.hasUserID = text.V, true
			default:
				if err := d.Skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			return nil
		}
	}
}

// escapeText escapes s for use in XML (or HTML) text and attribute values.
func escapeText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// soapAnswerer renders SOAP answers in one version.
type soapAnswerer struct {
	v12 bool
	ns  string
	op  string // operation element name (GenerateAPIKey / UserGetAPIKey)
}

func (a soapAnswerer) contentType() string {
	if a.v12 {
		return "application/soap+xml; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

func (a soapAnswerer) prefix() string {
	if a.v12 {
		return "soap12"
	}
	return "soap"
}

func (a soapAnswerer) envelopeOpen() string {
	p, ns := a.prefix(), SOAP11EnvelopeNS
	if a.v12 {
		ns = SOAP12EnvelopeNS
	}
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<` + p + `:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:` + p + `="` + ns + `">` +
		`<` + p + `:Body>`
}

func (a soapAnswerer) envelopeClose() string {
	return `</` + a.prefix() + `:Body></` + a.prefix() + `:Envelope>`
}

func (a soapAnswerer) resultOpen() string {
	return `<` + a.op + `Response xmlns="` + escapeText(a.ns) + `"><` + a.op + `Result>`
}

func (a soapAnswerer) resultClose() string {
	return `</` + a.op + `Result></` + a.op + `Response>`
}

func (a soapAnswerer) write(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", a.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (a soapAnswerer) successBody(key string) (string, []byte) {
	return a.contentType(), []byte(a.envelopeOpen() + a.resultOpen() + escapeText(key) + a.resultClose() + a.envelopeClose())
}

func (a soapAnswerer) success(w http.ResponseWriter, key string) {
	_, b := a.successBody(key)
	a.write(w, http.StatusOK, string(b))
}

func (a soapAnswerer) oversize(w http.ResponseWriter, n int) {
	writeOversize(w, a.contentType(), a.envelopeOpen()+a.resultOpen(), a.resultClose()+a.envelopeClose(), n)
}

// fault writes a SOAP fault. faultCode is "Client"/"Server" (or Sender/Receiver, or
// any other local name, which is sent as is).
func (a soapAnswerer) fault(w http.ResponseWriter, status int, faultCode, soapCode, msg string) {
	p := a.prefix()
	code := faultCode
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	switch strings.ToLower(code) {
	case "client", "sender":
		code = "Client"
		if a.v12 {
			code = "Sender"
		}
	case "server", "receiver":
		code = "Server"
		if a.v12 {
			code = "Receiver"
		}
	}
	var b strings.Builder
	b.WriteString(a.envelopeOpen())
	detail := ""
	if soapCode != "" {
		detail = `<ECGridOSSOAPErrorCode>` + escapeText(soapCode) + `</ECGridOSSOAPErrorCode>`
	}
	if a.v12 {
		b.WriteString(`<` + p + `:Fault><` + p + `:Code><` + p + `:Value>` + p + `:` + escapeText(code) +
			`</` + p + `:Value></` + p + `:Code><` + p + `:Reason><` + p + `:Text xml:lang="en">` +
			escapeText(msg) + `</` + p + `:Text></` + p + `:Reason><` + p + `:Detail>` + detail +
			`</` + p + `:Detail></` + p + `:Fault>`)
	} else {
		b.WriteString(`<` + p + `:Fault><faultcode>` + p + `:` + escapeText(code) + `</faultcode><faultstring>` +
			escapeText(msg) + `</faultstring><detail>` + detail + `</detail></` + p + `:Fault>`)
	}
	b.WriteString(a.envelopeClose())
	a.write(w, status, b.String())
}

func (a soapAnswerer) clientFault(w http.ResponseWriter, soapCode, msg string) {
	a.fault(w, http.StatusInternalServerError, "Client", soapCode, msg)
}

func (a soapAnswerer) opError(w http.ResponseWriter, e *opError) {
	code := map[errKind]string{
		errBadCred:    soapCodeAuthentication,
		errBadSession: soapCodeAuthentication,
		errDenied:     soapCodeAuthorization,
		errNotFound:   soapCodeObjectNotFound,
		errParam:      soapCodeInvalidParameter,
	}[e.kind]
	msg := e.msg
	if e.kind == errBadCred {
		msg = "Invalid Session ID"
	}
	if code == "" {
		a.fault(w, http.StatusInternalServerError, "Server", soapCodeSystemError, msg)
		return
	}
	a.clientFault(w, code, msg)
}

// injectedFault works out the status, fault code, ECGridOSSOAPErrorCode and message
// of an injected error fault.
func injectedFault(f *Fault) (status int, faultCode, soapCode, msg string) {
	status, faultCode, soapCode, msg = f.Status, f.FaultCode, f.SOAPCode, f.Message
	if soapCode == "" {
		switch {
		case f.RESTCode != "":
			soapCode = map[string]string{
				codeInvalidAPIKey:    soapCodeAuthentication,
				codeInvalidSession:   soapCodeAuthentication,
				codeAccessDenied:     soapCodeAuthorization,
				codeObjectNotFound:   soapCodeObjectNotFound,
				codeInvalidParameter: soapCodeInvalidParameter,
				codeDuplicateObject:  soapCodeInvalidParameter,
			}[f.RESTCode]
		case status != 0:
			soapCode = map[int]string{
				http.StatusBadRequest:   soapCodeInvalidParameter,
				http.StatusUnauthorized: soapCodeAuthentication,
				http.StatusForbidden:    soapCodeAuthorization,
				http.StatusNotFound:     soapCodeObjectNotFound,
			}[status]
		}
		if soapCode == "" {
			soapCode = soapCodeSystemError
		}
	}
	if faultCode == "" {
		switch soapCode {
		case soapCodeAuthentication, soapCodeAuthorization, soapCodeObjectNotFound, soapCodeInvalidParameter:
			faultCode = "Client"
		default:
			faultCode = "Server"
			if status >= 400 && status < 500 {
				faultCode = "Client"
			}
		}
	}
	if msg == "" {
		msg = map[string]string{
			soapCodeAuthentication:   "Invalid Session ID",
			soapCodeAuthorization:    "Not authorized.",
			soapCodeObjectNotFound:   "Object not found.",
			soapCodeInvalidParameter: "Invalid parameter.",
		}[soapCode]
		if msg == "" {
			msg = "Injected server error."
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return status, faultCode, soapCode, msg
}

func (a soapAnswerer) faultError(w http.ResponseWriter, f *Fault) {
	status, fc, sc, msg := injectedFault(f)
	a.fault(w, status, fc, sc, msg)
}

func (a soapAnswerer) successFalse(w http.ResponseWriter, f *Fault) {
	_, fc, sc, msg := injectedFault(f)
	a.fault(w, http.StatusOK, fc, sc, msg)
}

var _ answerer = soapAnswerer{}
var _ answerer = restAnswerer{}

// expectedAction is the SOAP action ASMX derives for an operation: its
// namespace, a slash unless the namespace ends in one, and its name.
func expectedAction(ns, op string) string {
	if strings.HasSuffix(ns, "/") {
		return ns + op
	}
	return ns + "/" + op
}
