package wire

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
)

// Redacted is what every encoding shows in place of a secret.
const Redacted = "[redacted]"

// Field is one field of a value shown by Show: its name and what to show,
// Redacted for a secret that is set.
type Field struct {
	Name  string
	Value any
}

// Secret returns the field of a secret: Redacted when set, "" otherwise.
func Secret(name, v string) Field {
	if v == "" {
		return Field{name, ""}
	}
	return Field{name, Redacted}
}

// Show is the redacting encoding of a type holding secrets: its methods
// implement fmt.Formatter, json.Marshaler, xml.Marshaler and
// slog.LogValuer over the fields given, which never include a secret's value.
type Show struct {
	Type   string // "rest.Auth"
	Fields []Field
}

// String returns Type{Name:value …}, leaving out empty fields.
func (s Show) String() string {
	var b strings.Builder
	b.WriteString(s.Type)
	b.WriteByte('{')
	first := true
	for _, f := range s.Fields {
		if isZero(f.Value) {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		fmt.Fprintf(&b, "%s:%v", f.Name, f.Value)
	}
	b.WriteByte('}')
	return b.String()
}

func isZero(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case int:
		return v == 0
	case bool:
		return !v
	case nil:
		return true
	case interface{ IsZero() bool }:
		return v.IsZero()
	}
	return false
}

// Write writes String to f, for a type's Format method: every verb shows
// the same.
func (s Show) Write(f fmt.State) { _, _ = f.Write([]byte(s.String())) }

// JSON encodes the fields as an object.
func (s Show) JSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range s.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// XML encodes the fields as child elements of start.
func (s Show) XML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, f := range s.Fields {
		if err := e.EncodeElement(f.Value, xml.StartElement{Name: xml.Name{Local: f.Name}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// LogValue is a group of the fields.
func (s Show) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(s.Fields))
	for _, f := range s.Fields {
		attrs = append(attrs, slog.Any(f.Name, f.Value))
	}
	return slog.GroupValue(attrs...)
}
