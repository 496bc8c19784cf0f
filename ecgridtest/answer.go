// This file answers an API call: it runs the operation and renders the
// result, or honours an injected fault instead.

package ecgridtest

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// result is what a successful operation answers.
type result struct {
	op      string    // Op* name
	value   string    // the key (key operations), the token or session ID (Login, Refresh)
	expires time.Time // when the session ends (Login, Refresh, Session; zero: no session)
	user    userInfo  // the user (Login, Refresh, WhoAmI, Session)
	empty   bool      // answer success with an empty value (Fault.EmptyKey)
}

// rendered is a success answer, split around its value so that Fault.Oversize
// can replace the value with filler.
type rendered struct {
	header http.Header // Content-Type and any other header of a success answer
	prefix string
	value  string // as written (escaped)
	suffix string
	fill   byte // the byte Oversize writes in place of value
}

func (r rendered) body() string { return r.prefix + r.value + r.suffix }

// addHeader puts the answer's header fields into w's header, as every way of
// writing a rendered answer does.
func (r rendered) addHeader(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
}

// answerer renders answers for one transport.
type answerer interface {
	render(res result) rendered
	opError(w http.ResponseWriter, e *opError)
	faultError(w http.ResponseWriter, f *Fault)
	successFalse(w http.ResponseWriter, f *Fault)
}

var (
	_ answerer = soapAnswerer{}
	_ answerer = restAnswerer{}
)

// placeholder is the made-up answer of a truncated call whose operation was not
// performed: its value is a random key that nobody holds, its user nobody.
func placeholder(op string) result { return result{op: op, value: newKey()} }

// writeRendered answers 200 with a rendered success.
func writeRendered(w http.ResponseWriter, rd rendered) {
	body := rd.body()
	rd.addHeader(w)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// answer runs the operation (via run) and answers, honouring fault f if not nil.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, a answerer, f *Fault, op string, run func() (result, *opError)) {
	if f == nil {
		if res, e := run(); e != nil {
			a.opError(w, e)
		} else {
			writeRendered(w, a.render(res))
		}
		return
	}

	var (
		res     result
		e       *opError
		applied bool
	)
	if f.Drop != DropBeforeApply && (f.Apply || f.Drop == DropAfterApply) {
		res, e = run()
		applied = true
	}
	if !s.wait(r.Context(), f.Delay) {
		// The client went away or the server is closing: abort the response
		// rather than let net/http complete it with an empty 200.
		panic(http.ErrAbortHandler)
	}
	if f.Drop != DropNone {
		s.drop(w)
		return
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch {
	case f.RedirectTo != "":
		w.Header().Set("Location", f.RedirectTo+r.URL.RequestURI())
		w.WriteHeader(http.StatusTemporaryRedirect)
	case f.HTML:
		writeHTML(w, f.Status, f.Message)
	case f.Truncate:
		if !applied || e != nil {
			res = placeholder(op)
		}
		s.writeTruncated(w, a.render(res))
	case f.Oversize > 0:
		writeOversize(w, a.render(placeholder(op)), f.Oversize)
	case f.EmptyKey:
		writeRendered(w, a.render(result{op: op, empty: true}))
	case f.SuccessFalse:
		a.successFalse(w, f)
	case f.isError():
		a.faultError(w, f)
	default:
		if !applied {
			res, e = run()
		}
		if e != nil {
			a.opError(w, e)
		} else {
			writeRendered(w, a.render(res))
		}
	}
}
