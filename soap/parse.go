package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecgridkit/ecgrid/internal/wire"
)

// answer is what a successful call returned.
type answer struct {
	key  string     // GenerateAPIKey, UserGetAPIKey: the key; Login: the session ID
	ok   bool       // Logout
	info UserIDInfo // WhoAmI
}

// reading is what the parser collects from a SOAP answer.
type reading struct {
	result    strings.Builder // text of <OpResult>
	hasResult bool
	children  []child // WhoAmI: the children of <OpResult>
	fault     bool
	faultCode strings.Builder // faultcode or Code/Value
	reason    strings.Builder // faultstring or Reason/Text
	code      strings.Builder // ECGridOSSOAPErrorCode
}

type child struct {
	name string
	text strings.Builder
}

const maxDepth = 64

var (
	errDepth        = errors.New("the XML is nested too deeply")
	errInsideResult = errors.New("an element inside the result")
	errTwoResults   = errors.New("more than one result element")
)

// parse reads a SOAP envelope with encoding/xml's streaming decoder, for
// the answers fastParse gives up on, matching elements by local name only,
// so any prefix and any namespace parse. The document must
// be complete: a truncated body is an error even when the result was
// already seen. p names the response and result elements and says whether
// the result may have child elements.
func parse(r *reading, body io.Reader, p *prepared) error {
	d := xml.NewDecoder(body)
	d.CharsetReader = charsetReader
	var names [maxDepth]xml.Name // as written, prefix in Space, to check end tags
	var path [maxDepth]string    // local names, for matching
	depth := 0
	seenRoot := false
	var text *strings.Builder
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if depth != 0 || !seenRoot {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == maxDepth {
				return errDepth
			}
			if depth == 0 {
				if seenRoot {
					return errors.New("more than one root element")
				}
				seenRoot = true
				if t.Name.Local != "Envelope" {
					return errors.New("the root element is not a SOAP Envelope")
				}
			}
			names[depth], path[depth] = t.Name, t.Name.Local
			depth++
			if text, err = r.target(path[:depth], p); err != nil {
				return err
			}
		case xml.EndElement:
			if depth == 0 || names[depth-1] != t.Name {
				return errors.New("an end tag does not match its start tag")
			}
			depth--
			text = nil
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) != 0 {
				return errors.New("text outside the root element")
			}
			if text != nil {
				text.Write(t)
			}
		}
	}
}

// target returns where the text of the element at path, just opened, goes
// in an answer of p, or nil. It refuses a second result element, and an
// element inside the result unless p's result has children.
func (r *reading) target(path []string, p *prepared) (*strings.Builder, error) {
	n := len(path)
	if n < 3 || path[1] != "Body" {
		return nil, nil
	}
	if path[2] == "Fault" {
		r.fault = true
		switch {
		case n == 4 && path[3] == "faultcode":
			return &r.faultCode, nil
		case n == 4 && path[3] == "faultstring":
			return &r.reason, nil
		case n == 5 && path[3] == "Code" && path[4] == "Value":
			return &r.faultCode, nil
		case n == 5 && path[3] == "Reason" && path[4] == "Text" && r.reason.Len() == 0:
			return &r.reason, nil
		case n >= 5 && (path[3] == "detail" || path[3] == "Detail") && path[n-1] == "ECGridOSSOAPErrorCode":
			return &r.code, nil
		}
		return nil, nil
	}
	if n < 4 || path[2] != p.response || path[3] != p.result {
		return nil, nil
	}
	switch {
	case n == 4 && r.hasResult:
		return nil, errTwoResults
	case n == 4:
		r.hasResult = true
		return &r.result, nil
	case n == 5 && !p.children:
		return nil, errInsideResult
	case n == 5:
		r.children = append(r.children, child{name: path[4]})
		return &r.children[len(r.children)-1].text, nil
	}
	return nil, nil
}

// Bounds on the server text kept in an *Error.
const (
	maxCode    = 64
	maxMessage = 512
)

// read turns one answer into a (on success) or an *Error. It is the
// transport's single reader of answers.
func read(p *prepared, a *answer, status int, h http.Header, body []byte, secrets []string) error {
	var r reading
	var perr error
	body = wire.TrimBOM(body)
	if !fastParse(&r, body, p) {
		r = reading{}
		perr = parse(&r, bytes.NewReader(body), p)
	}
	ok2xx := status >= 200 && status <= 299
	var problem string
	if perr == nil && ok2xx && r.hasResult && !r.fault {
		// The success path, which allocates no *Error.
		if problem = r.decode(p.name, a); problem == "" {
			return nil
		}
	}
	e := &Error{Op: p.name, StatusCode: status, RetryAfter: wire.RetryAfter(status, h, time.Now())}
	switch {
	case problem != "":
		e.Problem = problem
	case perr == nil && r.fault && r.hasResult:
		e.Problem = "the answer holds both a result and a fault"
	case perr == nil && r.fault:
		e.Fault = true
		e.FaultCode = wire.Text(strings.TrimSpace(r.faultCode.String()), maxCode, secrets...)
		e.ErrorCode = wire.Text(strings.TrimSpace(r.code.String()), maxCode, secrets...)
		e.Message = wire.Text(strings.TrimSpace(r.reason.String()), maxMessage, secrets...)
	case perr != nil:
		e.Problem = "the answer is not a readable SOAP envelope: " + wire.Text(perr.Error(), 200, secrets...)
		if ct := h.Get("Content-Type"); ct != "" && !ok2xx {
			e.Problem += " (" + wire.Text(ct, 64, secrets...) + ")"
		}
	default:
		e.Problem = "the answer has no <" + p.result + "> in <" + p.response + ">"
	}
	return e
}

// decode fills a from the result; it returns what is wrong with it, or "".
func (r *reading) decode(op string, a *answer) string {
	text := strings.TrimSpace(r.result.String())
	switch op {
	case OpLogout:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return "the answer's LogoutResult is not a boolean"
		}
		a.ok = b
	case OpWhoAmI:
		for i := range r.children {
			c := &r.children[i]
			v := strings.TrimSpace(c.text.String())
			switch c.name {
			case "UserID":
				a.info.UserID, _ = strconv.Atoi(v)
			case "NetworkID":
				a.info.NetworkID, _ = strconv.Atoi(v)
			case "MailboxID":
				a.info.MailboxID, _ = strconv.Atoi(v)
			case "Login":
				a.info.Login = wire.Text(v, 256)
			case "AuthLevel":
				a.info.AuthLevel = wire.Text(v, 64)
			}
		}
		if a.info.UserID <= 0 {
			return "the answer's WhoAmIResult holds no user ID"
		}
	default: // a key, or Login's session ID
		what := "key"
		if op == OpLogin {
			what = "session ID"
		}
		if text == "" {
			return "the answer holds no " + what
		}
		if wire.CheckSecret(what, text) != nil {
			return "the " + what + " in the answer is not printable text"
		}
		a.key = text
	}
	return ""
}

// unrecognised reports whether err is the fault ASMX answers to an action
// it does not know (SOAP 1.1: a Client fault "Server did not recognize the
// value of HTTP Header SOAPAction: …"; SOAP 1.2: a Sender fault "Unable to
// handle request. The action '…' was not recognized."). Only the fixed words
// are matched: some ASMX builds leave the placeholders unfilled.
func unrecognised(err error) bool {
	e, ok := err.(*Error)
	if !ok || !e.Fault {
		return false
	}
	switch local(e.FaultCode) {
	case "Client", "Sender":
	default:
		return false
	}
	return strings.Contains(e.Message, "Server did not recognize the value of HTTP Header SOAPAction") ||
		strings.Contains(e.Message, "Unable to handle request.") && strings.Contains(e.Message, "was not recognized")
}

// local returns the local part of a qualified name such as "soap:Client".
func local(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// charsetReader lets answers declare US-ASCII or ISO-8859-1 as well as UTF-8.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "latin-1":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported charset %q", charset)
}
