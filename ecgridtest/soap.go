// This file serves the SOAP (ASMX) endpoint: it checks the request as ASMX
// does, dispatches it to an operation and binds its parameters.

package ecgridtest

import (
	"errors"
	"fmt"
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

// soapOp is a SOAP operation: its element name and its Op name.
type soapOp struct {
	elem, op string
}

// soapOps are the operations the SOAP endpoint serves.
var soapOps = [...]soapOp{
	{"GenerateAPIKey", OpGenerateAPIKey},
	{"UserGetAPIKey", OpGetAPIKey},
	{"Login", OpLogin},
	{"Logout", OpLogout},
	{"WhoAmI", OpWhoAmI},
}

// soapActions maps the action of each operation in namespace ns to the
// operation, for opForAction; Start builds it once.
func soapActions(ns string) map[string]*soapOp {
	m := make(map[string]*soapOp, len(soapOps))
	for i := range soapOps {
		m[expectedAction(ns, soapOps[i].elem)] = &soapOps[i]
	}
	return m
}

// opForAction returns the operation whose action (in the server's namespace) is
// action, or nil.
func (s *Server) opForAction(action string) *soapOp { return s.actions[action] }

// opForElement returns the operation whose element's local name is local, or nil.
func opForElement(local string) *soapOp {
	for i := range soapOps {
		if soapOps[i].elem == local {
			return &soapOps[i]
		}
	}
	return nil
}

// expectedAction is the SOAP action ASMX derives for an operation: its
// namespace, a slash unless the namespace ends in one, and its name.
func expectedAction(ns, op string) string {
	if strings.HasSuffix(ns, "/") {
		return ns + op
	}
	return ns + "/" + op
}

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

	mt, ctParams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var v12 bool
	switch {
	case err == nil && mt == "text/xml":
	case err == nil && mt == "application/soap+xml":
		v12 = true
	default:
		s.logRequest(r, TransportSOAP, "", 0, "", "")
		writeEmpty(w, http.StatusUnsupportedMediaType)
		return
	}
	version, wantEnv := "1.1", SOAP11EnvelopeNS
	if v12 {
		version, wantEnv = "1.2", SOAP12EnvelopeNS
	}

	body, ok := readBody(w, r)
	if !ok {
		s.logRequest(r, TransportSOAP, "", 0, version, "")
		return
	}
	a := soapAnswerer{v12: v12, nsText: s.nsText, actor: "http://" + r.Host + r.URL.Path}
	doc, err := parseEnvelope(body)
	if err != nil {
		s.logRequest(r, TransportSOAP, "", 0, version, "")
		writeEmpty(w, http.StatusBadRequest)
		return
	}

	// The envelope, as ASMX checks it.
	if doc.root != "Envelope" || doc.envNS != wantEnv || !doc.hasBody {
		s.logRequest(r, TransportSOAP, "", 0, version, "")
		switch {
		case doc.root != "Envelope":
			a.clientFault(w, "", "Server was unable to read request. ---> Request format is invalid: Missing required soap:Envelope element.")
		case doc.envNS != wantEnv && v12:
			writeEmpty(w, http.StatusUnsupportedMediaType)
		case doc.envNS != wantEnv:
			a.fault(w, http.StatusInternalServerError, "VersionMismatch", "", fmt.Sprintf(
				"Possible SOAP version mismatch: Envelope namespace %s was unexpected. Expecting %s.", doc.envNS, wantEnv))
		default:
			a.clientFault(w, "", "Server was unable to read request. ---> Request format is invalid: Missing required soap:Body element.")
		}
		return
	}

	// Dispatch: by the action if there is one (SOAP 1.1 always has one, maybe
	// empty), else by the operation element's local name.
	var op *soapOp
	if action, hasAction := soapAction(r, v12, ctParams); hasAction {
		if op = s.opForAction(action); op == nil {
			s.logRequest(r, TransportSOAP, "", 0, version, "")
			if v12 {
				a.clientFault(w, "", "Unable to handle request. The action '"+action+"' was not recognized.")
			} else {
				a.clientFault(w, "", "Server did not recognize the value of HTTP Header SOAPAction: "+action+".")
			}
			return
		}
	} else if op = opForElement(doc.opLocal); op == nil {
		s.logRequest(r, TransportSOAP, "", 0, version, "")
		a.clientFault(w, "", "Unable to handle request without a valid action parameter. Please supply a valid soap action.")
		return
	}
	a.elem = op.elem

	// Parameters bind only from {ns}elem and its children in ns.
	params := doc.bind(s.ns, op.elem)
	session, hasSession := params["SessionID"]
	cred := credential{value: session.text, present: hasSession, allowSess: true}
	keyOp := op.op == OpGenerateAPIKey || op.op == OpGetAPIKey
	if !keyOp {
		logged := session.text
		if op.op == OpLogin {
			logged = "" // UserName and Password are not logged
		}
		s.logRequest(r, TransportSOAP, op.op, 0, version, logged)
		f := s.takeFault(TransportSOAP, op.op)
		s.answer(w, r, a, f, op.op, func() (result, *opError) {
			switch op.op {
			case OpLogin:
				return s.login(TransportSOAP, params["UserName"].text, params["Password"].text)
			case OpLogout:
				return s.logout(cred)
			}
			return s.whoAmI(op.op, cred)
		})
		return
	}

	userID, hasUserID := params["UserID"]
	id, idOK, err := parseUserID(strings.TrimSpace(userID.text), false)
	s.logRequest(r, TransportSOAP, op.op, id, version, session.text)
	if hasUserID && err != nil {
		why := "Input string was not in a correct format."
		if errors.Is(err, strconv.ErrRange) {
			why = "Value was either too large or too small for an Int32."
		}
		a.clientFault(w, "", fmt.Sprintf("Server was unable to read request. ---> There is an error in XML document (%d, %d). ---> %s",
			userID.line, userID.col, why))
		return
	}
	f := s.takeFault(TransportSOAP, op.op)
	s.answer(w, r, a, f, op.op, func() (result, *opError) {
		return s.perform(op.op, cred, id, idOK)
	})
}

// soapAction returns the request's action with quotes stripped: SOAP 1.1's
// SOAPAction header ("" if missing: ASMX treats that as an unknown action), or
// SOAP 1.2's action parameter, if present and not empty.
func soapAction(r *http.Request, v12 bool, ctParams map[string]string) (string, bool) {
	if v12 {
		a := strings.Trim(strings.TrimSpace(ctParams["action"]), `"`)
		return a, a != ""
	}
	return strings.Trim(strings.TrimSpace(r.Header.Get("SOAPAction")), `"`), true
}

// writeEmpty answers status with an empty body, as ASMX does for requests it
// cannot read.
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}
