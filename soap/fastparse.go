package soap

import (
	"strings"
)

// The answers a SOAP service sends are nearly always of one plain shape:
// ASCII, an XML declaration naming UTF-8, elements with prefixed names and
// namespace attributes, short texts. fastParse reads that shape by hand,
// without encoding/xml's allocation of every name and token, and gives up on
// anything else, which parse then reads. It accepts only documents parse
// accepts, and fills the reading as parse would (FuzzFastParse holds it to
// that); every problem an answer can have is reported by parse alone.

// xmlDecls are the declarations fastParse accepts at the start of a document.
var xmlDecls = []string{
	`<?xml version="1.0" encoding="utf-8"?>`,
	`<?xml version="1.0" encoding="UTF-8"?>`,
	`<?xml version="1.0"?>`,
}

// fastParse reads body into r and reports true, or reports false, with r
// possibly part-filled, when body is outside the plain shape or parse would
// refuse it: non-ASCII bytes, control characters other than tab and line
// feed (a CR is normalised by encoding/xml), comments, CDATA, processing
// instructions other than the declaration, character references other than
// the five named ones, "]]>", and every error parse reports.
func fastParse(r *reading, body []byte, p *prepared) bool {
	for _, c := range body {
		if c > '~' || c < ' ' && c != '\t' && c != '\n' {
			return false
		}
	}
	s := string(body) // one copy; every name below is a part of it
	if strings.Contains(s, "]]>") {
		return false
	}
	i := 0
	for _, d := range xmlDecls {
		if strings.HasPrefix(s, d) {
			i = len(d)
			break
		}
	}
	var names [maxDepth]string // qualified names as written, to check end tags
	var path [maxDepth]string  // local names, for matching
	depth := 0
	seenRoot := false
	var text *strings.Builder
	for i < len(s) {
		if s[i] != '<' {
			end := strings.IndexByte(s[i:], '<')
			if end < 0 {
				end = len(s) - i
			}
			seg := s[i : i+end]
			i += end
			if depth == 0 {
				if strings.Trim(seg, " \t\n") != "" {
					return false
				}
				continue
			}
			if !writeText(text, seg) {
				return false
			}
			continue
		}
		if i+1 >= len(s) {
			return false
		}
		switch s[i+1] {
		case '?', '!':
			return false
		case '/':
			q, n, ok := qname(s, i+2)
			if !ok {
				return false
			}
			n = skipSpace(s, n)
			if n >= len(s) || s[n] != '>' || depth == 0 || names[depth-1] != q {
				return false
			}
			depth--
			text = nil
			i = n + 1
			continue
		}
		q, n, ok := qname(s, i+1)
		if !ok {
			return false
		}
		n, empty, ok := attributes(s, n)
		if !ok || depth == maxDepth {
			return false
		}
		if depth == 0 {
			if seenRoot || local(q) != "Envelope" {
				return false
			}
			seenRoot = true
		}
		names[depth], path[depth] = q, local(q)
		depth++
		var err error
		if text, err = r.target(path[:depth], p); err != nil {
			return false
		}
		if empty {
			depth--
			text = nil
		}
		i = n
	}
	return depth == 0 && seenRoot
}

// qname scans a name at s[i:]: one or two parts of [A-Za-z_][A-Za-z0-9_.-]*
// joined by a colon, which encoding/xml splits into prefix and local name
// the same way. It returns the name and the index after it.
func qname(s string, i int) (string, int, bool) {
	start := i
	for part := 0; part < 2; part++ {
		if i >= len(s) || !nameStart(s[i]) {
			return "", 0, false
		}
		for i++; i < len(s) && nameByte(s[i]); i++ {
		}
		if i >= len(s) || s[i] != ':' || part == 1 {
			break
		}
		i++
	}
	if i < len(s) && s[i] == ':' {
		return "", 0, false
	}
	return s[start:i], i, true
}

func nameStart(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' }

func nameByte(c byte) bool { return nameStart(c) || '0' <= c && c <= '9' || c == '.' || c == '-' }

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	return i
}

// attributes scans the rest of a start tag from s[i:], attributes with
// quoted values free of '<' and '&', to its '>' or "/>". It returns the
// index after the tag and whether the element is empty ("/>").
func attributes(s string, i int) (int, bool, bool) {
	for {
		i = skipSpace(s, i)
		switch {
		case i >= len(s):
			return 0, false, false
		case s[i] == '>':
			return i + 1, false, true
		case s[i] == '/':
			if i+1 < len(s) && s[i+1] == '>' {
				return i + 2, true, true
			}
			return 0, false, false
		}
		_, n, ok := qname(s, i)
		if !ok {
			return 0, false, false
		}
		n = skipSpace(s, n)
		if n >= len(s) || s[n] != '=' {
			return 0, false, false
		}
		n = skipSpace(s, n+1)
		if n >= len(s) || s[n] != '"' && s[n] != '\'' {
			return 0, false, false
		}
		end := strings.IndexByte(s[n+1:], s[n])
		if end < 0 || strings.ContainsAny(s[n+1:n+1+end], "<&") {
			return 0, false, false
		}
		i = n + 1 + end + 1
	}
}

// entities are the five references every XML parser knows.
var entities = [...]struct{ ref, text string }{
	{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", `"`}, {"&apos;", "'"},
}

// writeText writes seg, its entity references replaced, to b (nil: checks
// only). It reports false for any other reference.
func writeText(b *strings.Builder, seg string) bool {
	for {
		amp := strings.IndexByte(seg, '&')
		if amp < 0 {
			if b != nil {
				b.WriteString(seg)
			}
			return true
		}
		if b != nil {
			b.WriteString(seg[:amp])
		}
		seg = seg[amp:]
		known := false
		for _, e := range entities {
			if strings.HasPrefix(seg, e.ref) {
				if b != nil {
					b.WriteString(e.text)
				}
				seg = seg[len(e.ref):]
				known = true
				break
			}
		}
		if !known {
			return false
		}
	}
}
