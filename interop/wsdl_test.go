package interop_test

import (
	"encoding/xml"
	"testing"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/soap"
)

// TestWSDLMatchesTransport checks, without Node.js, that soap.WSDL() describes
// what the SOAP transport sends: namespace, service, ports, soapActions.
func TestWSDLMatchesTransport(t *testing.T) {
	type operation struct {
		Name   string `xml:"name,attr"`
		Action struct {
			SOAPAction string `xml:"soapAction,attr"`
			Style      string `xml:"style,attr"`
		} `xml:"operation"`
	}
	var doc struct {
		XMLName         xml.Name `xml:"http://schemas.xmlsoap.org/wsdl/ definitions"`
		TargetNamespace string   `xml:"targetNamespace,attr"`
		Bindings        []struct {
			Name       string      `xml:"name,attr"`
			Operations []operation `xml:"http://schemas.xmlsoap.org/wsdl/ operation"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/ binding"`
		Service struct {
			Name  string `xml:"name,attr"`
			Ports []struct {
				Name    string `xml:"name,attr"`
				Binding string `xml:"binding,attr"`
				Address struct {
					XMLName  xml.Name
					Location string `xml:"location,attr"`
				} `xml:"address"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/ port"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/ service"`
	}
	if err := xml.Unmarshal(soap.WSDL(), &doc); err != nil {
		t.Fatalf("soap.WSDL: %v", err)
	}
	if doc.TargetNamespace != ecgrid.DefaultSOAPNamespace || doc.Service.Name != "ECGridOS" {
		t.Fatalf("targetNamespace %q, service %q", doc.TargetNamespace, doc.Service.Name)
	}
	wantAddr := map[string]string{
		"ECGridOSSoap":   "http://schemas.xmlsoap.org/wsdl/soap/",
		"ECGridOSSoap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
	}
	if len(doc.Service.Ports) != len(wantAddr) {
		t.Fatalf("%d ports, want %d", len(doc.Service.Ports), len(wantAddr))
	}
	for _, p := range doc.Service.Ports {
		if wantAddr[p.Name] != p.Address.XMLName.Space || p.Binding != "tns:"+p.Name ||
			p.Address.Location != ecgrid.DefaultSOAPURL {
			t.Errorf("port %+v", p)
		}
	}
	if len(doc.Bindings) != 2 {
		t.Fatalf("%d bindings, want 2", len(doc.Bindings))
	}
	for _, b := range doc.Bindings {
		if len(b.Operations) != 2 {
			t.Errorf("binding %s has %d operations, want 2", b.Name, len(b.Operations))
		}
		for _, o := range b.Operations {
			if want := soap.Action(ecgrid.DefaultSOAPNamespace, o.Name); o.Action.SOAPAction != want || o.Action.Style != "document" {
				t.Errorf("binding %s operation %s: soapAction %q style %q, want %q document",
					b.Name, o.Name, o.Action.SOAPAction, o.Action.Style, want)
			}
		}
	}
}
