package wire

import "strings"

// WriteErrorTail writes the part of a transport error's text that both
// transports share, after the operation, status and codes: the message in
// quotes, ": " and the problem, ": " and the cause escaped, and, when no
// answer came (status 0), whether the request was proven not sent or may
// have reached the service. Empty parts are left out.
func WriteErrorTail(b *strings.Builder, message, problem string, err error, status int, notSent bool) {
	if message != "" {
		b.WriteString(` "` + message + `"`)
	}
	if problem != "" {
		b.WriteString(": ")
		b.WriteString(problem)
	}
	if err != nil {
		b.WriteString(": ")
		b.WriteString(Escape(err.Error()))
	}
	if status == 0 {
		if notSent {
			b.WriteString(" (not sent)")
		} else {
			b.WriteString(" (the request may have reached the service)")
		}
	}
}
