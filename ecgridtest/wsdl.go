// This file serves the WSDL at <SOAPURL>?WSDL.

package ecgridtest

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// serveWSDL answers GET or HEAD <SOAPURL>?WSDL with the server's WSDL (404 if
// there is none).
func (s *Server) serveWSDL(w http.ResponseWriter, r *http.Request) {
	if s.wsdl == nil {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.wsdl)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(s.wsdl)
	}
}

// hasWSDLQuery reports whether the query holds a "wsdl" key, in any case.
func hasWSDLQuery(r *http.Request) bool {
	for k := range r.URL.Query() {
		if strings.EqualFold(k, "wsdl") {
			return true
		}
	}
	return false
}

// rewriteAddress points every port address in wsdl at endpoint: the value of a
// location attribute that directly follows the name of a prefixed address
// element (<soap:address location="…">, <soap12:address  location="…">).
// It scans the bytes rather than compiling a regular expression, so that
// importing the package costs nothing at init.
func rewriteAddress(wsdl []byte, endpoint string) []byte {
	if wsdl == nil {
		return nil
	}
	out := make([]byte, 0, len(wsdl)+len(endpoint))
	rest := wsdl
	for {
		i := bytes.Index(rest, []byte(":address"))
		if i < 0 {
			return append(out, rest...)
		}
		valueStart, valueEnd, ok := addressLocationAt(rest, i)
		if !ok {
			out = append(out, rest[:i+len(":address")]...)
			rest = rest[i+len(":address"):]
			continue
		}
		out = append(out, rest[:valueStart]...)
		out = append(out, endpoint...)
		rest = rest[valueEnd:]
	}
}

// addressLocationAt checks that b[i:] starts ":address" inside a start tag
// "<prefix:address", followed by white space and location="…", and returns
// the bounds of the attribute's value.
func addressLocationAt(b []byte, i int) (start, end int, ok bool) {
	// The prefix: a letter or '_' then name characters, right after '<'.
	p := i
	for p > 0 && isNameByte(b[p-1]) {
		p--
	}
	if p == i || p == 0 || b[p-1] != '<' || !isNameStartByte(b[p]) {
		return 0, 0, false
	}
	j := i + len(":address")
	k := j
	for k < len(b) && isSpaceByte(b[k]) {
		k++
	}
	if k == j || !bytes.HasPrefix(b[k:], []byte(`location="`)) {
		return 0, 0, false
	}
	start = k + len(`location="`)
	n := bytes.IndexByte(b[start:], '"')
	if n < 0 {
		return 0, 0, false
	}
	return start, start + n, true
}

func isNameStartByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isNameByte(c byte) bool {
	return isNameStartByte(c) || '0' <= c && c <= '9' || c == '.' || c == '-'
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
