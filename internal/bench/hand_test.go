package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// This file is the hand-written side: the code an integrator writes from the
// vendor's samples, with nothing but net/http, encoding/json and encoding/xml.

// restEnvelope is the REST answer as vendor samples declare it.
type restEnvelope struct {
	Success   bool   `json:"success"`
	Data      string `json:"data"`
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// handREST calls POST /v2/users/key-generate/{id} the way the samples do.
func handREST(ctx context.Context, hc *http.Client, base, key string, id int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v2/users/key-generate/"+strconv.Itoa(id), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var env restEnvelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return "", fmt.Errorf("decoding the answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if !env.Success {
		return "", fmt.Errorf("ecgrid: %s: %s (HTTP %d)", env.ErrorCode, env.Message, resp.StatusCode)
	}
	if env.Data == "" {
		return "", errors.New("ecgrid: no key in the answer")
	}
	return env.Data, nil
}

// The request envelope, marshalled by reflection.
type soapEnvelope struct {
	XMLName xml.Name `xml:"soap:Envelope"`
	NS      string   `xml:"xmlns:soap,attr"`
	Body    soapBody `xml:"soap:Body"`
}

type soapBody struct {
	GenerateAPIKey generateAPIKey
}

type generateAPIKey struct {
	XMLName   xml.Name `xml:"GenerateAPIKey"`
	NS        string   `xml:"xmlns,attr"`
	SessionID string   `xml:"SessionID"`
	UserID    int      `xml:"UserID"`
}

// The answer envelope, unmarshalled whole; local names match any prefix.
type soapAnswerEnvelope struct {
	XMLName xml.Name `xml:"Envelope"`
	Body    struct {
		Fault    *soapFault `xml:"Fault"`
		Response struct {
			Result string `xml:"GenerateAPIKeyResult"`
		} `xml:"GenerateAPIKeyResponse"`
	} `xml:"Body"`
}

type soapFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
}

// soapVersion holds what differs between SOAP 1.1 and 1.2 for the samples.
type soapVersion struct {
	envNS       string
	contentType string
	soapAction  string // 1.1 only
}

var (
	soap11 = soapVersion{
		envNS:       "http://schemas.xmlsoap.org/soap/envelope/",
		contentType: "text/xml; charset=utf-8",
		soapAction:  `"` + opNS + `GenerateAPIKey"`,
	}
	soap12 = soapVersion{
		envNS:       "http://www.w3.org/2003/05/soap-envelope",
		contentType: `application/soap+xml; charset=utf-8; action="` + opNS + `GenerateAPIKey"`,
	}
)

// handSOAP calls GenerateAPIKey with xml.Marshal and xml.Decoder.Decode.
func handSOAP(ctx context.Context, hc *http.Client, v *soapVersion, endpoint, session string, id int) (string, error) {
	env := soapEnvelope{NS: v.envNS, Body: soapBody{GenerateAPIKey: generateAPIKey{NS: opNS, SessionID: session, UserID: id}}}
	out, err := xml.Marshal(env)
	if err != nil {
		return "", err
	}
	body := append([]byte(xml.Header), out...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", v.contentType)
	if v.soapAction != "" {
		req.Header.Set("SOAPAction", v.soapAction)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ans soapAnswerEnvelope
	if err := xml.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return "", fmt.Errorf("decoding the answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if f := ans.Body.Fault; f != nil {
		return "", fmt.Errorf("ecgrid: SOAP fault %s: %s", f.Code, f.String)
	}
	if resp.StatusCode != http.StatusOK || ans.Body.Response.Result == "" {
		return "", fmt.Errorf("ecgrid: no key in the answer (HTTP %d)", resp.StatusCode)
	}
	return ans.Body.Response.Result, nil
}
