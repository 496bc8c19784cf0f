package soap

import _ "embed" // for WSDL

// WSDL is a WSDL 1.1 document describing the two operations this package
// calls, GenerateAPIKey and UserGetAPIKey, as ECGridOS v4.1 publishes them:
// document/literal, target namespace "https://os.ecgrid.io/", service
// ECGridOS with port ECGridOSSoap (SOAP 1.1 binding) and port ECGridOSSoap12
// (SOAP 1.2 binding), soapAction "https://os.ecgrid.io/<operation>". It is
// not the vendor's complete WSDL: only these two operations are described.
//
// The soap:address and soap12:address locations are the vendor's production
// endpoint (https://os.ecgrid.io/v4.1/prod/ECGridOS.asmx). A server that
// serves these bytes at another address, such as ecgridtest's fake (which
// serves them unchanged at <SOAPURL>?WSDL), does not rewrite them, so a
// WSDL-driven client must be given the endpoint explicitly (node-soap:
// the endpoint option of createClient, or Client.setEndpoint), or it will
// call production.
//
// The bytes are shared: don't modify them.
//
//go:embed ECGridOS.wsdl
var WSDL []byte
