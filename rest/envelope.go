package rest

import "encoding/json"

// Read-only targets of envelope.Success for the fast path.
var (
	successTrue  = true
	successFalse = false
)

// decodeEnvelope decodes an answer, which must be valid UTF-8, as
// json.Unmarshal into an envelope would, and reports whether it is a JSON
// object. The common shape — the
// four members in lower case, strings without escapes, data a string or
// null — is read by hand, without reflection; anything else goes to
// encoding/json. FuzzEnvelopeFastPath checks that both agree.
func decodeEnvelope(body []byte, env *envelope) bool {
	if fastEnvelope(body, env) {
		return true
	}
	// Decoded into a local, which escapes to the heap, and copied: handing
	// env to json.Unmarshal would move the caller's envelope to the heap on
	// every answer, the fast ones too.
	var slow envelope
	err := json.Unmarshal(body, &slow)
	*env = slow
	return err == nil
}

// fastEnvelope reads body as {"success": bool, "data": string|null,
// "errorCode": string|null, "message": string|null} in any order, each
// member at most once, with insignificant white space; it reports false,
// leaving env partly filled, for anything else.
func fastEnvelope(b []byte, env *envelope) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	seen := 0
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := plainString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		var bit int
		switch string(key) {
		case `"success"`:
			bit = 1
			switch {
			case hasAt(b, i, "true"):
				env.Success, i = &successTrue, i+4
			case hasAt(b, i, "false"):
				env.Success, i = &successFalse, i+5
			default:
				return false
			}
		case `"data"`:
			bit = 2
			if hasAt(b, i, "null") {
				env.Data, i = b[i:i+4], i+4 // as json.RawMessage keeps it
				break
			}
			v, j, ok := plainString(b, i)
			if !ok {
				return false
			}
			env.Data, i = v, j
		case `"errorCode"`, `"message"`:
			bit = 4
			dst := &env.ErrorCode
			if key[1] == 'm' {
				bit, dst = 8, &env.Message
			}
			if hasAt(b, i, "null") {
				i += 4
				break
			}
			v, j, ok := plainString(b, i)
			if !ok {
				return false
			}
			*dst, i = string(v[1:len(v)-1]), j
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		i = skipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// plainString returns the JSON string starting at b[i], quotes included,
// and the index after it, if it has no escape and no control character.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i : j+1], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func hasAt(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}
