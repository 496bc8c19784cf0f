package wire

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxRetryAfter caps a Retry-After: a value too large to parse, or larger
// than this, counts as this.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After value given as seconds or as an HTTP
// date. It returns 0 for an empty, negative, past or unparsable value, and
// MaxRetryAfter for one too large to represent or beyond it.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if digits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter // overflow: longer than anything a client waits for
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter)
	}
	return 0
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Escape makes text a server sent safe to show in an error, a log line or a
// terminal: control characters (C0, C1, DEL), line and paragraph separators,
// bidi and other format characters, and bytes that are not UTF-8 are
// replaced by Go escapes (\n, \u202e, \x9b); printable text, in any
// script, is kept.
func Escape(s string) string {
	if safe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case !shown(r):
			if r <= 0xFFFF {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func safe(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !shown(r) {
			return false
		}
		i += n
	}
	return true
}

// shown reports whether r is printed as itself: a graphic character
// (letters, marks, numbers, punctuation, symbols, spaces) that is not a
// format character such as a bidi override.
func shown(r rune) bool { return unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r) }

// Text prepares server text for an error: escaped, with secrets replaced
// by Redacted, and cut to at most n bytes.
func Text(s string, n int, secrets ...string) string {
	return Truncate(Escape(Redact(s, secrets...)), n)
}

// Truncate shortens s to at most n bytes on a rune boundary, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Redact replaces every occurrence of each non-empty secret in s by
// Redacted.
func Redact(s string, secrets ...string) string {
	for _, v := range secrets {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// CheckSecret rejects a secret that can't travel unchanged in an HTTP header
// and in XML, or that a terminal would not show as it is: one that is empty,
// longer than 4 KiB, not UTF-8, has leading or trailing white space, or holds
// a character that is not printable (a control character, a line or
// paragraph separator, a bidi override). It never includes the value in its
// error; name says what the value is ("API key").
func CheckSecret(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("the %s is empty", name)
	case len(v) > 4096:
		return fmt.Errorf("the %s is longer than 4096 bytes", name)
	case !utf8.ValidString(v):
		return fmt.Errorf("the %s is not valid UTF-8", name)
	case strings.TrimSpace(v) != v:
		return fmt.Errorf("the %s has leading or trailing white space", name)
	}
	if !printable(v) {
		return fmt.Errorf("the %s contains a character that is not printable", name)
	}
	return nil
}

// CheckText rejects text that can't travel unchanged in XML or JSON, or
// that a terminal would not show as it is: not UTF-8, or holding a
// character that is not printable. It never includes the value in its
// error. Empty text is refused unless empty is true.
func CheckText(name, v string, empty bool) error {
	switch {
	case v == "" && !empty:
		return fmt.Errorf("the %s is empty", name)
	case !utf8.ValidString(v):
		return fmt.Errorf("the %s is not valid UTF-8", name)
	case len(v) > 4096:
		return fmt.Errorf("the %s is longer than 4096 bytes", name)
	}
	if !printable(v) {
		return fmt.Errorf("the %s contains a character that is not printable", name)
	}
	return nil
}

// printable reports whether every character of v is printable: a letter,
// mark, number, punctuation, symbol or the ASCII space, and not U+FFFD.
func printable(v string) bool {
	for _, r := range v {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// RetryAfter returns the delay an answer of status asks for with its
// Retry-After header, as ParseRetryAfter reads it, when status is 429 Too
// Many Requests or 503 Service Unavailable; for any other status, or no
// usable header, it returns 0.
func RetryAfter(status int, h http.Header, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0
	}
	return ParseRetryAfter(h.Get("Retry-After"), now)
}
