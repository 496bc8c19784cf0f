package ecgridtest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(initTraceEnv) != "" {
		// Re-executed by TestNoInitCost: the init trace is already printed.
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// Seeded users.
const (
	adminID = 1
	userID  = 2
	otherID = 3
	rootID  = 4
	missing = 999

	session2 = "session-of-user-2-0123456789"
)

var guidShape = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`

// setup starts a server with four users and one session; it is closed at cleanup.
func setup(t *testing.T, opts ...ecgridtest.Option) *ecgridtest.Server {
	t.Helper()
	base := []ecgridtest.Option{
		ecgridtest.WithUser(ecgridtest.User{ID: adminID, Level: ecgridtest.AuthLevelNetworkAdmin}),
		ecgridtest.WithUser(ecgridtest.User{ID: userID}),
		ecgridtest.WithUser(ecgridtest.User{ID: otherID, Level: ecgridtest.AuthLevelUser}),
		ecgridtest.WithUser(ecgridtest.User{ID: rootID, Level: ecgridtest.AuthLevelRoot}),
		ecgridtest.WithSession(userID, session2),
	}
	s := ecgridtest.NewServer(append(base, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// client returns a fresh client whose idle connections are closed at cleanup.
func client(t *testing.T, timeout time.Duration) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func key(t *testing.T, s *ecgridtest.Server, id int) string {
	t.Helper()
	k, ok := s.Key(id)
	require.True(t, ok, "user %d", id)
	return k
}

type envelope struct {
	Success   bool    `json:"success"`
	Data      *string `json:"data"`
	ErrorCode string  `json:"errorCode"`
	Message   string  `json:"message"`
}

type restResult struct {
	Status int
	Header http.Header
	Body   []byte
	Env    envelope
	JSON   bool // body decoded as an envelope
}

// restDo sends a REST request; hdr holds raw header lines ("X-API-Key", "Authorization").
func restDo(t *testing.T, c *http.Client, method, url string, hdr map[string]string) restResult {
	t.Helper()
	r, err := restTry(c, method, url, hdr)
	require.NoError(t, err)
	return r
}

// restTry is restDo for goroutines: it returns the error instead of failing the test.
func restTry(c *http.Client, method, url string, hdr map[string]string) (restResult, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return restResult{}, err
	}
	for k, v := range hdr {
		req.Header[k] = []string{v} // sent exactly as spelled
	}
	resp, err := c.Do(req)
	if err != nil {
		return restResult{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return restResult{}, err
	}
	r := restResult{Status: resp.StatusCode, Header: resp.Header, Body: body}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	r.JSON = dec.Decode(&r.Env) == nil
	return r, nil
}

func apiKey(k string) map[string]string { return map[string]string{"X-API-Key": k} }
func bearer(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }

// soapReq describes a SOAP call.
type soapReq struct {
	Version   string // "1.1" or "1.2"
	Op        string // GenerateAPIKey / UserGetAPIKey
	NS        string // operation namespace, default https://os.ecgrid.io/
	EnvNS     string // envelope namespace override
	Prefix    string // operation prefix ("" = default namespace)
	SessionID string
	UserID    string
	Action    *string // SOAPAction (1.1) / action parameter (1.2); nil = derived
	NoAction  bool
	Body      string // raw body override
	CT        string // Content-Type override
}

func (q soapReq) build() (body, contentType, action string) {
	ns := q.NS
	if ns == "" {
		ns = "https://os.ecgrid.io/"
	}
	env := "http://schemas.xmlsoap.org/soap/envelope/"
	if q.Version == "1.2" {
		env = "http://www.w3.org/2003/05/soap-envelope"
	}
	if q.EnvNS != "" {
		env = q.EnvNS
	}
	action = ns + q.Op
	if q.Action != nil {
		action = *q.Action
	}
	var opOpen, opClose, child string
	if q.Prefix == "" {
		opOpen = fmt.Sprintf(`<%s xmlns="%s">`, q.Op, ns)
		opClose = "</" + q.Op + ">"
	} else {
		opOpen = fmt.Sprintf(`<%s:%s xmlns:%s="%s">`, q.Prefix, q.Op, q.Prefix, ns)
		opClose = "</" + q.Prefix + ":" + q.Op + ">"
		child = q.Prefix + ":"
	}
	var sb strings.Builder
	_ = xml.EscapeText(&sb, []byte(q.SessionID))
	body = `<?xml version="1.0" encoding="utf-8"?>` +
		`<s:Envelope xmlns:s="` + env + `"><s:Header/><s:Body>` + opOpen +
		`<` + child + `SessionID>` + sb.String() + `</` + child + `SessionID>` +
		`<` + child + `UserID>` + q.UserID + `</` + child + `UserID>` +
		opClose + `</s:Body></s:Envelope>`
	if q.Body != "" {
		body = q.Body
	}
	if q.Version == "1.2" {
		contentType = "application/soap+xml; charset=utf-8"
		if !q.NoAction {
			contentType += `; action="` + action + `"`
		}
	} else {
		contentType = "text/xml; charset=utf-8"
	}
	if q.CT != "" {
		contentType = q.CT
	}
	return body, contentType, action
}

type soapResult struct {
	Status int
	Header http.Header
	Body   []byte
	Fields map[string]string // text of leaf elements by local name
	Names  map[string]string // namespace of elements by local name
}

func soapDo(t *testing.T, c *http.Client, url string, q soapReq) soapResult {
	t.Helper()
	r, err := soapTry(c, url, q)
	require.NoError(t, err)
	return r
}

// soapTry is soapDo for goroutines: it returns the error instead of failing the test.
func soapTry(c *http.Client, url string, q soapReq) (soapResult, error) {
	body, ct, action := q.build()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return soapResult{}, err
	}
	req.Header.Set("Content-Type", ct)
	if q.Version != "1.2" && !q.NoAction {
		req.Header.Set("SOAPAction", `"`+action+`"`)
	}
	resp, err := c.Do(req)
	if err != nil {
		return soapResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return soapResult{}, err
	}
	r := soapResult{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if len(raw) == 0 {
		return r, nil // ASMX answers some bad requests with an empty body
	}
	r.Fields, r.Names, err = xmlFields(raw)
	return r, err
}

// xmlFields parses XML (checking it is well-formed) and returns leaf texts and
// element namespaces by local name.
func xmlFields(raw []byte) (map[string]string, map[string]string, error) {
	fields, names := map[string]string{}, map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(raw))
	depth := 0
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("answer is not well-formed XML: %w: %s", err, raw)
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			depth++
			names[tt.Name.Local] = tt.Name.Space
			text.Reset()
		case xml.CharData:
			text.Write(tt)
		case xml.EndElement:
			if _, seen := fields[tt.Name.Local]; !seen {
				fields[tt.Name.Local] = text.String()
			}
			depth--
			text.Reset()
		}
	}
	if depth != 0 || len(names) == 0 {
		return nil, nil, fmt.Errorf("answer is not a complete XML document: %s", raw)
	}
	return fields, names, nil
}

func ptr[T any](v T) *T { return &v }

// xmlEscape writes s escaped for XML text.
func xmlEscape(w io.Writer, s string) error { return xml.EscapeText(w, []byte(s)) }
