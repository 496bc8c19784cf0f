package soap

import _ "embed" // for the WSDL document

// wsdl is ECGridOS.wsdl, embedded.
//
//go:embed ECGridOS.wsdl
var wsdl []byte

// WSDL returns a copy of a WSDL 1.1 document describing the two operations
// this package calls, GenerateAPIKey and UserGetAPIKey, as ECGridOS v4.1
// publishes them: document/literal, target namespace "https://os.ecgrid.io/",
// service ECGridOS with port ECGridOSSoap (SOAP 1.1 binding) and port
// ECGridOSSoap12 (SOAP 1.2 binding), soapAction
// "https://os.ecgrid.io/<operation>". It is not the vendor's complete WSDL:
// only these two operations are described.
//
// The soap:address and soap12:address locations are the vendor's production
// endpoint (https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx). A server that
// serves the document at another address should rewrite them to its own, as
// ASMX does and as package ecgridtest's fake does at <SOAPURL>?WSDL;
// otherwise a WSDL-driven client calls production unless it is given the
// endpoint explicitly. Each call returns a new copy, so changing it changes
// nothing else.
func WSDL() []byte { return append([]byte(nil), wsdl...) }
