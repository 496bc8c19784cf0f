// Command coldsoap is the floor of scripts/coldstart.sh: the least a Go
// program does to rotate a key over SOAP 1.1. It calls GenerateAPIKey once
// for -user at -url, with the session in ECGRID_SESSION_ID, prints the key
// and a newline, and exits 0 (1 on any failure). Nothing but flag, net/http
// and encoding/xml: no SDK, no signal handling, no retries.
package main

import (
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

type answer struct {
	Body struct {
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
		} `xml:"Fault"`
		Result string `xml:"GenerateAPIKeyResponse>GenerateAPIKeyResult"`
	} `xml:"Body"`
}

func main() {
	url := flag.String("url", "", "the SOAP endpoint URL")
	user := flag.Int("user", 42, "the user ID")
	flag.Parse()
	key, err := generate(*url, os.Getenv("ECGRID_SESSION_ID"), *user)
	if err != nil {
		fmt.Fprintln(os.Stderr, "coldsoap:", err)
		os.Exit(1)
	}
	fmt.Println(key)
}

func generate(url, session string, user int) (string, error) {
	var esc strings.Builder
	if err := xml.EscapeText(&esc, []byte(session)); err != nil {
		return "", err
	}
	body := `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<soap:Body><GenerateAPIKey xmlns="https://os.ecgrid.io/"><SessionID>` + esc.String() +
		`</SessionID><UserID>` + strconv.Itoa(user) + `</UserID></GenerateAPIKey></soap:Body></soap:Envelope>`
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"https://os.ecgrid.io/GenerateAPIKey"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var a answer
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&a); err != nil {
		return "", fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	switch {
	case a.Body.Fault != nil:
		return "", fmt.Errorf("SOAP fault %s: %s", a.Body.Fault.Code, a.Body.Fault.String)
	case resp.StatusCode != http.StatusOK || a.Body.Result == "":
		return "", fmt.Errorf("HTTP %d: no key in the answer", resp.StatusCode)
	}
	return a.Body.Result, nil
}
