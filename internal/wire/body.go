package wire

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// MaxBodySize bounds every response body read: a key is tens of bytes, an
// error envelope or fault a few hundred, so anything larger is refused.
const MaxBodySize = 1 << 20

// ErrBodyTooLarge is the cause when a response body exceeds MaxBodySize.
var ErrBodyTooLarge = fmt.Errorf("the response body is larger than %d bytes", MaxBodySize)

// Body is a pooled buffer with the limited reader that fills it, pooled
// together so that reading an answer allocates neither.
type Body struct {
	bytes.Buffer
	lr io.LimitedReader
}

var bodyPool = sync.Pool{New: func() any { return new(Body) }}

// NewBody returns an empty pooled Body; give it back with Release.
func NewBody() *Body {
	b := bodyPool.Get().(*Body)
	b.Reset()
	return b
}

// Release returns b to the pool, unless it grew large. b must not be used
// afterwards.
func (b *Body) Release() {
	if b.Cap() <= 64<<10 {
		b.lr.R = nil
		bodyPool.Put(b)
	}
}

// ReadBody reads r, at most MaxBodySize bytes of it, into a pooled Body,
// which the caller releases when done with the bytes. It fails with
// ErrBodyTooLarge, or the read error (a truncated body gives
// io.ErrUnexpectedEOF).
func ReadBody(r io.Reader) (*Body, error) {
	b := NewBody()
	b.lr = io.LimitedReader{R: r, N: MaxBodySize + 1}
	_, err := b.ReadFrom(&b.lr)
	if err == nil && b.Len() > MaxBodySize {
		err = ErrBodyTooLarge
	}
	return b, err
}

// bom is the UTF-8 byte order mark.
var bom = []byte{0xEF, 0xBB, 0xBF}

// TrimBOM drops one leading UTF-8 byte order mark, which XML 1.0 (§4.3.3)
// allows before a document and RFC 8259 (§8.1) lets a JSON parser ignore.
func TrimBOM(b []byte) []byte { return bytes.TrimPrefix(b, bom) }
