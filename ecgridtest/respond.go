// This file holds the connection-level answers of faults: delays, drops,
// truncated, oversize and HTML answers.

package ecgridtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// wait sleeps for d unless the request is cancelled or the server closes; it
// reports whether the full delay elapsed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// hijack takes over the connection. The caller must call release when done.
func (s *Server) hijack(w http.ResponseWriter) (net.Conn, func(), bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil, false
	}
	c, _, err := hj.Hijack()
	if err != nil {
		return nil, nil, false
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		return nil, nil, false
	}
	s.hijacked[c] = struct{}{}
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.hijacked, c)
		s.mu.Unlock()
		_ = c.Close()
	}, true
}

// drop hijacks the connection and closes it without answering.
func (s *Server) drop(w http.ResponseWriter) {
	if _, release, ok := s.hijack(w); ok {
		release()
	}
}

// writeTruncated answers 200 with the rendered answer cut short: it hijacks the
// connection, writes a response head with w.Header() (which rd's header joins,
// as in writeRendered) announcing the full body length, half the body, and
// closes the connection.
func (s *Server) writeTruncated(w http.ResponseWriter, rd rendered) {
	rd.addHeader(w)
	header := w.Header().Clone() // the ResponseWriter is not used after Hijack
	header.Del("Content-Length")
	header.Del("Connection")
	body := rd.body()
	c, release, ok := s.hijack(w)
	if !ok {
		return
	}
	defer release()
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	for k, vs := range header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(body[:len(body)/2])
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, b.String())
}

// writeOversize answers 200 with exactly n bytes: the rendered answer with its
// value replaced by filler when that fits, otherwise n spaces. It streams, so n
// may be large.
func writeOversize(w http.ResponseWriter, rd rendered, n int) {
	rd.addHeader(w)
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	prefix, suffix, fill := rd.prefix, rd.suffix, rd.fill
	if n < len(prefix)+len(suffix) {
		prefix, suffix, fill = "", "", ' '
	}
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte{fill}, 32<<10)
	for left := n - len(prefix) - len(suffix); left > 0; {
		m := min(left, len(chunk))
		if _, err := w.Write(chunk[:m]); err != nil {
			return
		}
		left -= m
	}
	_, _ = io.WriteString(w, suffix)
}

// writeHTML answers an HTML error page.
func writeHTML(w http.ResponseWriter, status int, msg string) {
	if status == 0 {
		status = http.StatusBadGateway
	}
	if msg == "" {
		msg = "The upstream server returned an invalid response."
	}
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>"+escapeText(title)+
		"</title></head><body><h1>"+escapeText(title)+"</h1><p>"+escapeText(msg)+
		"</p><hr><address>ecgridtest</address></body></html>\n")
}
