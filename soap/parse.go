package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ecgridkit/ecgrid/internal/core"
)

// answer is what a SOAP response body says.
type answer struct {
	result    strings.Builder // text of <OpResult>
	hasResult bool
	fault     bool
	faultCode strings.Builder // faultcode or Code/Value
	reason    strings.Builder // faultstring or Reason/Text
	code      strings.Builder // ECGridOSSOAPErrorCode
}

const maxDepth = 64

var errDepth = errors.New("XML nested too deeply")

// parseAnswer reads a SOAP envelope with a streaming decoder, matching
// elements by local name only, so any prefix and any namespace parse. The
// document must be complete: a truncated body is an error even when the
// result was already seen.
func parseAnswer(a *answer, body []byte, response, result string) error {
	d := xml.NewDecoder(bytes.NewReader(body))
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
			if text == &a.result {
				return errors.New("an element inside the result")
			}
			names[depth], path[depth] = t.Name, t.Name.Local
			depth++
			hadResult := a.hasResult
			text = a.target(path[:depth], response, result)
			if text == &a.result && hadResult {
				return errors.New("more than one result element")
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

// target returns where the text of the element at path goes, or nil.
func (a *answer) target(path []string, response, result string) *strings.Builder {
	n := len(path)
	if n < 3 || path[1] != "Body" {
		return nil
	}
	if path[2] == "Fault" {
		a.fault = true
		switch {
		case n == 4 && path[3] == "faultcode":
			return &a.faultCode
		case n == 4 && path[3] == "faultstring":
			return &a.reason
		case n == 5 && path[3] == "Code" && path[4] == "Value":
			return &a.faultCode
		case n == 5 && path[3] == "Reason" && path[4] == "Text" && a.reason.Len() == 0:
			return &a.reason
		case n >= 5 && (path[3] == "detail" || path[3] == "Detail") && path[n-1] == "ECGridOSSOAPErrorCode":
			return &a.code
		}
		return nil
	}
	if n == 4 && path[2] == response && path[3] == result {
		a.hasResult = true
		return &a.result
	}
	return nil
}

// classify turns one SOAP answer into a key or an *core.Error. It is the
// single classifier of the SOAP transport.
func classify(o *operation, userID, status int, h http.Header, body []byte, secrets []string) (string, error) {
	e := &core.Error{Op: o.op, Transport: core.TransportSOAP, UserID: userID, StatusCode: status}
	var a answer
	perr := parseAnswer(&a, body, o.response, o.result)
	switch {
	case perr == nil && a.fault:
		e.FaultCode = core.Truncate(core.Redact(localPart(strings.TrimSpace(a.faultCode.String())), secrets...), 64)
		e.Code = core.Truncate(core.Redact(strings.TrimSpace(a.code.String()), secrets...), 64)
		e.Message = core.Truncate(core.Redact(strings.TrimSpace(a.reason.String()), secrets...), 512)
		server := e.FaultCode == "Server" || e.FaultCode == "Receiver" || e.FaultCode == ""
		if refused := core.KindForRefusal(status); refused != nil {
			// A 429 or 503 proves the request was refused, whatever fault came with it.
			e.Kind, e.Outcome = refused, core.OutcomeNotApplied
			break
		}
		e.Kind = core.KindForCode(e.Code)
		if e.Kind == nil {
			if server {
				e.Kind = core.ErrServer
			} else {
				e.Kind = core.ErrInvalidInput
			}
		}
		e.Outcome = core.OutcomeForKind(e.Kind)
		if server {
			e.Outcome = core.OutcomeUnknown
		}
	case perr == nil && is2xx(status) && a.hasResult:
		key := strings.TrimSpace(a.result.String())
		if key != "" && core.CheckSecret("key", key) == nil {
			return key, nil
		}
		e.Kind, e.Outcome = core.ErrBadResponse, core.OutcomeUnknown
		e.Message = "the answer holds no key"
		if key != "" {
			e.Message = "the key in the answer contains characters a key can't have"
		}
	case is2xx(status):
		e.Kind, e.Outcome = core.ErrBadResponse, core.OutcomeUnknown
		if perr != nil {
			e.Message = "the answer is not a readable SOAP envelope: " +
				core.Truncate(core.Redact(perr.Error(), secrets...), 200)
		} else {
			e.Message = "the answer has no <" + o.result + "> in <" + o.response + ">"
		}
	default:
		e.Kind = core.KindForStatus(status)
		e.Message = "the answer is not a SOAP fault"
		if ct := h.Get("Content-Type"); ct != "" {
			e.Message += " (" + core.Truncate(core.Redact(ct, secrets...), 64) + ")"
		}
		e.Outcome = core.StatusOutcome(e.Kind, e.StatusCode)
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = core.ParseRetryAfter(h.Get("Retry-After"), time.Now())
	}
	return "", e
}

// localPart returns the local name of a qualified fault code such as
// "soap:Client" and drops a dotted refinement such as "Client.Auth".
func localPart(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
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
