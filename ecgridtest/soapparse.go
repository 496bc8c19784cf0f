// This file reads SOAP requests: the envelope, by local element names with any
// prefixes, and the operation element's children.

package ecgridtest

import (
	"bytes"
	"encoding/xml"
	"io"
)

// soapDoc is what parseEnvelope found in a well-formed request.
type soapDoc struct {
	root, envNS   string // the root element's local name and namespace
	hasBody       bool   // the root has a Body child in its own namespace
	hasOp         bool   // the Body has a child element
	opLocal, opNS string // the Body's first child element
	params        []soapParam
}

// soapParam is a child element of the operation element.
type soapParam struct {
	local, ns string
	text      string // its character data
	line, col int    // where its content starts
}

// parseEnvelope reads a SOAP request. It fails only if the document is not
// well-formed XML; whether it is a usable envelope is for the caller to judge.
func parseEnvelope(b []byte) (*soapDoc, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var doc soapDoc
	root, err := nextStart(d)
	if err != nil {
		return nil, err
	}
	doc.root, doc.envNS = root.Name.Local, root.Name.Space
	err = eachChild(d, func(t xml.StartElement) error {
		if doc.root == "Envelope" && t.Name.Local == "Body" && t.Name.Space == doc.envNS && !doc.hasBody {
			doc.hasBody = true
			return parseBody(d, &doc)
		}
		return d.Skip()
	})
	if err != nil {
		return nil, err
	}
	// Make sure the rest is well-formed too.
	for {
		if _, err := d.Token(); err == io.EOF {
			return &doc, nil
		} else if err != nil {
			return nil, err
		}
	}
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return xml.StartElement{}, err
		}
		if t, ok := tok.(xml.StartElement); ok {
			return t, nil
		}
	}
}

// eachChild reads the content of the element whose start tag d has just
// read, up to its end tag, and calls fn with each child element's start tag;
// fn must consume the child (Skip, DecodeElement, or reading up to its end).
// It returns the first error of d or of fn.
func eachChild(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// parseBody reads the Body element's content up to its end tag.
func parseBody(d *xml.Decoder, doc *soapDoc) error {
	return eachChild(d, func(t xml.StartElement) error {
		if doc.hasOp {
			return d.Skip()
		}
		doc.hasOp = true
		doc.opLocal, doc.opNS = t.Name.Local, t.Name.Space
		return parseOperation(d, doc)
	})
}

// parseOperation reads the operation element's children up to its end tag.
func parseOperation(d *xml.Decoder, doc *soapDoc) error {
	return eachChild(d, func(t xml.StartElement) error {
		line, col := d.InputPos()
		var text struct {
			V string `xml:",chardata"`
		}
		if err := d.DecodeElement(&text, &t); err != nil {
			return err
		}
		doc.params = append(doc.params, soapParam{local: t.Name.Local, ns: t.Name.Space, text: text.V, line: line, col: col})
		return nil
	})
}

// bind returns the parameters ASMX would bind: the operation element's children
// in namespace ns (the first of each name), or none if the operation element is
// not {ns}elem.
func (doc *soapDoc) bind(ns, elem string) map[string]soapParam {
	bound := map[string]soapParam{}
	if !doc.hasOp || doc.opNS != ns || doc.opLocal != elem {
		return bound
	}
	for _, p := range doc.params {
		if _, dup := bound[p.local]; !dup && p.ns == ns {
			bound[p.local] = p
		}
	}
	return bound
}
