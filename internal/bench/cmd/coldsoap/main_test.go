package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	const key = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	var got *http.Request
	var body string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, body = r, string(b)
		if strings.Contains(body, "<SessionID>bad</SessionID>") {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">`+
				`<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Invalid Session ID</faultstring></soap:Fault></soap:Body></soap:Envelope>`)
			return
		}
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">`+
			`<soap:Body><GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult>`+key+
			`</GenerateAPIKeyResult></GenerateAPIKeyResponse></soap:Body></soap:Envelope>`)
	}))
	defer ts.Close()

	k, err := generate(ts.URL, "s<&>", 42)
	if err != nil || k != key {
		t.Fatalf("got %q, %v; want the key", k, err)
	}
	want := `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<soap:Body><GenerateAPIKey xmlns="https://os.ecgrid.io/"><SessionID>s&lt;&amp;&gt;</SessionID><UserID>42</UserID>` +
		`</GenerateAPIKey></soap:Body></soap:Envelope>`
	if body != want {
		t.Errorf("request body:\n got %s\nwant %s", body, want)
	}
	if ct, a := got.Header.Get("Content-Type"), got.Header.Get("SOAPAction"); ct != "text/xml; charset=utf-8" || a != `"https://os.ecgrid.io/GenerateAPIKey"` {
		t.Errorf("headers: Content-Type %q, SOAPAction %q", ct, a)
	}
	if _, err := generate(ts.URL, "bad", 42); err == nil || !strings.Contains(err.Error(), "Invalid Session ID") {
		t.Errorf("fault: got %v, want the fault's text", err)
	}
}
