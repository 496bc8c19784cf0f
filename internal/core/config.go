package core

import (
	"net/http"
	"net/url"
)

// Config is what the ecgrid package hands a transport. It is complete and
// validated: transports apply no defaults of their own.
type Config struct {
	HTTPClient  *http.Client // prepared by PrepareHTTPClient
	Credentials CredentialsSource
	UserAgent   string
	RESTBase    *url.URL // REST base URL, without trailing slash
	SOAPURL     *url.URL // SOAP endpoint
	SOAP12      bool     // SOAP 1.2 instead of 1.1
	Namespace   string   // SOAP operation namespace
}

// NewError returns an *Error for a failure decided before or without a
// request, such as invalid input.
func NewError(op, transport string, userID int, kind error, msg string, cause error) *Error {
	return &Error{Op: op, Transport: transport, UserID: userID, Kind: kind, Message: msg, Err: cause}
}
