package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// MaxBodySize bounds every response body read: a key is tens of bytes, an
// error envelope or fault a few hundred, so anything larger is refused.
const MaxBodySize = 1 << 20

// ErrBodyTooLarge is the cause when a response body exceeds MaxBodySize.
var ErrBodyTooLarge = fmt.Errorf("the response body is larger than %d bytes", MaxBodySize)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Buffer returns an empty pooled buffer; give it back with PutBuffer.
func Buffer() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// PutBuffer returns b to the pool, unless it grew large.
func PutBuffer(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 {
		bufPool.Put(b)
	}
}

// ReadBody reads body, at most MaxBodySize bytes of it, into a pooled
// buffer, which the caller gives back with PutBuffer when done with the
// bytes. It fails with ErrBodyTooLarge, or the read error (a truncated body
// gives io.ErrUnexpectedEOF).
func ReadBody(body io.Reader) (*bytes.Buffer, error) {
	buf := Buffer()
	_, err := buf.ReadFrom(io.LimitReader(body, MaxBodySize+1))
	if err == nil && buf.Len() > MaxBodySize {
		err = ErrBodyTooLarge
	}
	return buf, err
}

// bom is the UTF-8 byte order mark.
var bom = []byte{0xEF, 0xBB, 0xBF}

// TrimBOM drops one leading UTF-8 byte order mark, which XML 1.0 (§4.3.3)
// allows before a document and RFC 8259 (§8.1) lets a JSON parser ignore.
func TrimBOM(b []byte) []byte { return bytes.TrimPrefix(b, bom) }

// IsBodyTooLarge reports whether err is ErrBodyTooLarge.
func IsBodyTooLarge(err error) bool { return errors.Is(err, ErrBodyTooLarge) }
