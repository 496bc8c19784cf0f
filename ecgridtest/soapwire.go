// This file renders SOAP answers as ASMX does: envelopes, results and faults.

package ecgridtest

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// ECGridOSSOAPErrorCode names.
const (
	soapCodeAuthentication   = "Authentication"
	soapCodeAuthorization    = "Authorization"
	soapCodeObjectNotFound   = "ObjectNotFound"
	soapCodeInvalidParameter = "InvalidParameter"
	soapCodeSystemError      = "SystemError"
)

// unhandledPrefix starts the faultstring of an error ASMX did not expect.
const unhandledPrefix = "Server was unable to process request. ---> "

// escapeText escapes s for use in XML (or HTML) text and attribute values.
func escapeText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// soapAnswerer renders SOAP answers in one version, as ASMX does: the envelope
// prefix is "soap" in both versions, and every fault names the endpoint (1.1
// faultactor, 1.2 Node).
type soapAnswerer struct {
	v12    bool
	nsText string // the operation namespace, escaped for XML
	elem   string // operation element name (GenerateAPIKey, UserGetAPIKey, …)
	actor  string // the endpoint's URL, as requested
}

func (a soapAnswerer) contentType() string {
	if a.v12 {
		return "application/soap+xml; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

// The XML declaration and the opening of the envelope and its Body, as ASMX
// writes them, in each version.
const (
	soap11EnvelopeOpen = `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + SOAP11EnvelopeNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`
	soap12EnvelopeOpen = `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="` + SOAP12EnvelopeNS + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>`
)

func (a soapAnswerer) envelopeOpen() string {
	if a.v12 {
		return soap12EnvelopeOpen
	}
	return soap11EnvelopeOpen
}

const soapEnvelopeClose = `</soap:Body></soap:Envelope>`

// write answers with a whole SOAP document.
func (a soapAnswerer) write(w http.ResponseWriter, status int, cacheControl, body string) {
	w.Header().Set("Content-Type", a.contentType())
	w.Header().Set("Cache-Control", cacheControl)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// render renders a success answer, <{elem}Response><{elem}Result>…</…>: the
// key (key operations), the session ID (Login), true (Logout) or the user
// (WhoAmI). EmptyKey empties the key or session ID, Logout's result, and omits
// WhoAmI's (as ASMX omits a null result).
func (a soapAnswerer) render(res result) rendered {
	rd := rendered{
		header: http.Header{
			"Content-Type":  {a.contentType()},
			"Cache-Control": {"private, max-age=0"},
		},
		fill: 'A',
	}
	open := `<` + a.elem + `Response xmlns="` + a.nsText + `">`
	closeResp := `</` + a.elem + `Response>`
	var inner string
	switch res.op {
	case OpLogout:
		inner = `<LogoutResult>true</LogoutResult>`
		if res.empty {
			inner = `<LogoutResult />`
		}
	case OpWhoAmI:
		u := res.user
		inner = `<WhoAmIResult><UserID>` + strconv.Itoa(u.id) + `</UserID><Login>` + escapeText(u.login) +
			`</Login><NetworkID>` + strconv.Itoa(u.networkID) + `</NetworkID><MailboxID>` + strconv.Itoa(u.mailboxID) +
			`</MailboxID><AuthLevel>` + u.level.String() + `</AuthLevel></WhoAmIResult>`
		if res.empty {
			inner = ""
		}
	default:
		rd.prefix = a.envelopeOpen() + open + `<` + a.elem + `Result>`
		if !res.empty {
			rd.value = escapeText(res.value)
		}
		rd.suffix = `</` + a.elem + `Result>` + closeResp + soapEnvelopeClose
		return rd
	}
	// No value: Oversize pads with white space inside the Body.
	rd.prefix, rd.fill = a.envelopeOpen(), ' '
	rd.suffix = open + inner + closeResp + soapEnvelopeClose
	return rd
}

// fault writes a SOAP fault. faultCode is "Client"/"Server" (or Sender/Receiver,
// or any other local name, which is sent as is); an empty soapCode gives an
// empty detail.
func (a soapAnswerer) fault(w http.ResponseWriter, status int, faultCode, soapCode, msg string) {
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
	detail := `<detail />`
	if soapCode != "" {
		detail = `<detail><ECGridOSSOAPErrorCode>` + escapeText(soapCode) + `</ECGridOSSOAPErrorCode></detail>`
	}
	var b strings.Builder
	b.WriteString(a.envelopeOpen())
	if a.v12 {
		b.WriteString(`<soap:Fault><soap:Code><soap:Value>soap:` + escapeText(code) + `</soap:Value></soap:Code>` +
			`<soap:Reason><soap:Text xml:lang="en">` + escapeText(msg) + `</soap:Text></soap:Reason>` +
			`<soap:Node>` + escapeText(a.actor) + `</soap:Node>` + detail + `</soap:Fault>`)
	} else {
		b.WriteString(`<soap:Fault><faultcode>soap:` + escapeText(code) + `</faultcode>` +
			`<faultstring>` + escapeText(msg) + `</faultstring>` +
			`<faultactor>` + escapeText(a.actor) + `</faultactor>` + detail + `</soap:Fault>`)
	}
	b.WriteString(soapEnvelopeClose)
	a.write(w, status, "private", b.String())
}

// clientFault writes a Client (1.2 Sender) fault with HTTP 500.
func (a soapAnswerer) clientFault(w http.ResponseWriter, soapCode, msg string) {
	a.fault(w, http.StatusInternalServerError, "Client", soapCode, msg)
}

func (a soapAnswerer) opError(w http.ResponseWriter, e *opError) {
	code := soapCodeForREST(restCodeForKind(e.kind)) // "" for InternalError
	msg := e.msg
	if e.kind == errBadCred {
		msg = "Invalid Session ID"
	}
	if code == "" {
		a.fault(w, http.StatusInternalServerError, "Server", "", unhandledPrefix+msg)
		return
	}
	a.clientFault(w, code, msg)
}

// soapCodeForREST returns the ECGridOSSOAPErrorCode of a REST error code, or
// "" for one without. A switch, not a map: the package does no work at init.
func soapCodeForREST(code string) string {
	switch code {
	case codeInvalidAPIKey, codeInvalidSession:
		return soapCodeAuthentication
	case codeAccessDenied:
		return soapCodeAuthorization
	case codeObjectNotFound:
		return soapCodeObjectNotFound
	case codeInvalidParameter, codeDuplicateObject:
		return soapCodeInvalidParameter
	}
	return ""
}

// soapCodeForStatus returns the ECGridOSSOAPErrorCode of an HTTP status, or
// "" for one without.
func soapCodeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return soapCodeInvalidParameter
	case http.StatusUnauthorized:
		return soapCodeAuthentication
	case http.StatusForbidden:
		return soapCodeAuthorization
	case http.StatusNotFound:
		return soapCodeObjectNotFound
	}
	return ""
}

// soapDefaultMessage returns the message of an injected fault without one,
// by its ECGridOSSOAPErrorCode, or "" for a code without.
func soapDefaultMessage(soapCode string) string {
	switch soapCode {
	case soapCodeAuthentication:
		return "Invalid Session ID"
	case soapCodeAuthorization:
		return "Not authorized."
	case soapCodeObjectNotFound:
		return "Object not found."
	case soapCodeInvalidParameter:
		return "Invalid parameter."
	}
	return ""
}

// injectedFault works out the status, fault code, ECGridOSSOAPErrorCode and message
// of an injected error fault.
func injectedFault(f *Fault) (status int, faultCode, soapCode, msg string) {
	status, faultCode, soapCode, msg = f.Status, f.FaultCode, f.SOAPCode, f.Message
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if f.Unhandled {
		if faultCode == "" {
			faultCode = "Server"
		}
		if msg == "" {
			msg = "Injected server error."
		}
		return status, faultCode, "", unhandledPrefix + msg
	}
	if soapCode == "" {
		switch {
		case f.RESTCode != "":
			soapCode = soapCodeForREST(f.RESTCode)
		case f.Status != 0:
			soapCode = soapCodeForStatus(f.Status)
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
		msg = soapDefaultMessage(soapCode)
		if msg == "" {
			msg = "Injected server error."
		}
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
