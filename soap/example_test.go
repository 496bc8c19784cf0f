package soap_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ecgridkit/ecgrid/soap"
)

// ExampleClient_GenerateAPIKey makes single calls and reads the facts of a
// fault: the transport never retries, and reports what the service
// answered.
func ExampleClient_GenerateAPIKey() {
	// A stand-in for ECGridOS.asmx that knows one session.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		const env = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`
		if !strings.Contains(string(body), "<SessionID>session-0001</SessionID>") {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, env+`<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Invalid Session ID</faultstring>`+
				`<detail><ECGridOSSOAPErrorCode>Authentication</ECGridOSSOAPErrorCode></detail></soap:Fault></soap:Body></soap:Envelope>`)
			return
		}
		io.WriteString(w, env+`<GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult>f9e8d7c6-b5a4-3210-fedc-ba9876543210</GenerateAPIKeyResult></GenerateAPIKeyResponse></soap:Body></soap:Envelope>`)
	}))
	defer srv.Close()

	c, err := soap.New(soap.Config{URL: srv.URL + "/ECGridOS.asmx", Version: soap.V11})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	key, err := c.GenerateAPIKey(ctx, "session-0001", 42)
	fmt.Println("new key:", key, err)

	// A refused call: the *Error holds the fault's facts.
	_, err = c.GenerateAPIKey(ctx, "expired-session-0002", 42)
	var e *soap.Error
	if errors.As(err, &e) {
		fmt.Println("status:", e.StatusCode, "fault:", e.Fault, e.FaultCode, e.ErrorCode, "message:", e.Message)
		fmt.Println("not sent:", e.NotSent)
	}
	fmt.Println(err)

	// Input that can't be sent is refused before anything leaves.
	_, err = c.GenerateAPIKey(ctx, "session-0001\n", 42)
	if errors.As(err, &e) {
		fmt.Println("invalid input:", errors.Is(err, soap.ErrInvalidInput), "not sent:", e.NotSent)
	}
	// Output:
	// new key: f9e8d7c6-b5a4-3210-fedc-ba9876543210 <nil>
	// status: 500 fault: true soap:Client Authentication message: Invalid Session ID
	// not sent: false
	// soap: GenerateAPIKey: HTTP 500: fault soap:Client Authentication "Invalid Session ID"
	// invalid input: true not sent: true
}
