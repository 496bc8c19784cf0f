// Package interop checks the SDK's SOAP transport against an independent SOAP
// stack, node-soap (npm package soap, pinned in package-lock.json), in both
// directions: the SDK calls a node-soap server built from soap.WSDL()
// (server.js), and a node-soap client built from the WSDL that ecgridtest
// serves calls the fake (client.js).
//
// The tests need Node.js and the npm packages: run
//
//	cd interop && npm ci
//
// once. Without them the tests skip, except under CI (CI=true), where they
// fail. The package has no code of its own.
package interop
