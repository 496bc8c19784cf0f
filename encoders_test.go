package ecgrid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
	"github.com/ecgridkit/ecgrid/rest"
	"github.com/ecgridkit/ecgrid/soap"
)

// exportedTypes lists the exported type names declared by the non-test Go
// files of the package in dir, as "pkg.Name".
func exportedTypes(t *testing.T, dir, pkg string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	fset := token.NewFileSet()
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
					names = append(names, pkg+"."+ts.Name.Name)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// secretField matches the names of fields that hold a secret.
var secretField = regexp.MustCompile(`(?i)(key|token|password|session|secret)`)

// fill sets every settable string field of v whose name says it holds a
// secret to a distinct marker, recursively through structs and pointers to
// structs, and returns the markers.
func fill(v reflect.Value, prefix string) []string {
	if strings.Count(prefix, ".") > 3 { // types that hold themselves (Error.Fallback)
		return nil
	}
	var secrets []string
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() && v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			secrets = append(secrets, fill(v.Elem(), prefix)...)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f, sf := v.Field(i), v.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			if f.Kind() == reflect.String && secretField.MatchString(sf.Name) {
				s := fmt.Sprintf("S3CR3T-%s-%s-%d", prefix, sf.Name, i)
				f.SetString(s)
				secrets = append(secrets, s)
				continue
			}
			secrets = append(secrets, fill(f, prefix+"."+sf.Name)...)
		}
	}
	return secrets
}

// holdsSecret reports whether t has a field that holds a secret itself
// (not through a pointer to another type, which redacts on its own).
func holdsSecret(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.String && secretField.MatchString(f.Name) ||
			f.Type.Kind() == reflect.Struct && holdsSecret(f.Type) {
			return true
		}
	}
	return false
}

func is[I any](v any) bool { _, ok := v.(I); return ok }

// encodings returns v through every encoder users log with.
func encodings(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out["fmt "+verb] = fmt.Sprintf(verb, v)
	}
	if b, err := json.Marshal(v); err == nil {
		out["json"] = string(b)
	}
	// An encoder that fails (on a func field, say) may have written secrets
	// first: keep what it wrote either way.
	var x bytes.Buffer
	enc := xml.NewEncoder(&x)
	_ = enc.Encode(struct {
		XMLName xml.Name `xml:"v"`
		V       any
	}{V: v})
	_ = enc.Flush()
	out["xml"] = x.String()
	var jb bytes.Buffer
	_ = json.NewEncoder(&jb).Encode(v)
	out["json encoder"] = jb.String()
	var j, txt bytes.Buffer
	slog.New(slog.NewJSONHandler(&j, nil)).Info("m", "v", v)
	slog.New(slog.NewTextHandler(&txt, nil)).Info("m", "v", v)
	out["slog json"], out["slog text"] = j.String(), txt.String()
	return out
}

// TestNoSecretThroughAnyEncoder walks every exported type of the public
// packages: each must be in the table below (so a new type can't be
// forgotten), and every secret-named field reflection can fill must not
// appear in any encoding of a value of it, by value or by pointer.
func TestNoSecretThroughAnyEncoder(t *testing.T) {
	srv := fakeECGrid()
	defer srv.Close()
	c := userClient(t, transports[0], userKey, srv.URL, srv.SOAPURL)
	samples := map[string]any{
		"ecgrid.Client":              c,
		"ecgrid.Credentials":         ecgrid.Credentials{},
		"ecgrid.CredentialsProvider": ecgrid.StaticProvider(ecgrid.Credentials{APIKey: "S3CR3T-provider"}),
		"ecgrid.Error":               ecgrid.Error{},
		"ecgrid.Identity":            ecgrid.Identity{},
		"ecgrid.MigrateOptions":      ecgrid.MigrateOptions{},
		"ecgrid.Migration":           ecgrid.Migration{},
		"ecgrid.Option":              ecgrid.WithAPIKey("S3CR3T-option"),
		"ecgrid.Outcome":             ecgrid.OutcomeUnknown,
		"ecgrid.PanicError":          ecgrid.PanicError{}, // a real one is in realErrors
		"ecgrid.RetryPolicy":         ecgrid.RetryPolicy{},
		"ecgrid.RotateOptions":       ecgrid.RotateOptions{},
		"ecgrid.Rotation":            ecgrid.Rotation{},
		"ecgrid.SOAPVersion":         ecgrid.SOAP12,
		"ecgrid.Sender":              ecgrid.Sender{},
		"ecgrid.Session":             ecgrid.Session{},
		"ecgrid.Sessions":            c.Sessions(),
		"ecgrid.Transport":           ecgrid.REST,
		"ecgrid.Users":               c.Users(),
		"rest.Auth":                  rest.Auth{},
		"rest.Client":                mustREST(t, srv.URL),
		"rest.Config":                rest.Config{},
		"rest.Error":                 rest.Error{},
		"rest.Token":                 rest.Token{},
		"rest.User":                  rest.User{},
		"soap.Client":                mustSOAP(t, srv.SOAPURL),
		"soap.Config":                soap.Config{},
		"soap.Error":                 soap.Error{},
		"soap.Sender":                soap.Sender{},
		"soap.UserIDInfo":            soap.UserIDInfo{},
		"soap.Version":               soap.V12,
	}
	for _, s := range ecgridtestSamples() {
		samples[s.name] = s.v
	}
	var exported []string
	for _, p := range [][2]string{{".", "ecgrid"}, {"rest", "rest"}, {"soap", "soap"}, {"ecgridtest", "ecgridtest"}} {
		exported = append(exported, exportedTypes(t, p[0], p[1])...)
	}
	for _, name := range exported {
		if _, ok := samples[name]; !ok {
			t.Errorf("exported type %s has no sample in TestNoSecretThroughAnyEncoder: add one", name)
		}
	}
	for name, sample := range samples {
		t.Run(name, func(t *testing.T) {
			v := reflect.New(reflect.TypeOf(sample)).Elem()
			v.Set(reflect.ValueOf(sample))
			secrets := fill(v, strings.ReplaceAll(name, ".", "_"))
			if holdsSecret(v.Type()) {
				// A type that holds a secret redacts itself in every encoder,
				// not by luck of how an encoder falls back.
				x := v.Interface()
				for _, i := range []struct {
					name string
					ok   bool
				}{{"fmt.Formatter", is[fmt.Formatter](x)}, {"json.Marshaler", is[json.Marshaler](x)},
					{"xml.Marshaler", is[xml.Marshaler](x)}, {"slog.LogValuer", is[slog.LogValuer](x)}} {
					assert.True(t, i.ok, "%s holds a secret but is not a %s", name, i.name)
				}
				if lv, ok := x.(slog.LogValuer); ok {
					for _, s := range secrets {
						assert.NotContains(t, fmt.Sprint(lv.LogValue().Resolve()), s, "LogValue")
					}
				}
			}
			for _, x := range []any{v.Interface(), v.Addr().Interface()} {
				outs := encodings(x)
				if !holdsSecret(v.Type()) {
					// No exported field holds a secret, so even fmt's bad
					// verbs, which print fields by reflection, find none.
					for _, verb := range []string{"%w", "%p"} {
						outs["fmt bad verb "+verb] = fmt.Sprintf(strings.Repeat(verb, 1), x)
					}
				}
				for enc, out := range outs {
					for _, s := range append(secrets, "S3CR3T", userKey) {
						assert.NotContains(t, out, s, "%s of %T", enc, x)
					}
				}
			}
		})
	}
	// Values whose secrets reflection can't fill: errors made by real calls.
	for name, e := range realErrors(t, srv) {
		t.Run("error/"+name, func(t *testing.T) {
			outs := encodings(any(e.err))
			// fmt answers a verb a value does not take (%w outside Errorf,
			// %p on a value) by printing its fields through reflection,
			// without asking the value: an error keeps its secrets out of
			// those fields.
			for _, verb := range []string{"%w", "%p"} {
				outs["fmt bad verb "+verb] = fmt.Sprintf(strings.Repeat(verb, 1), e.err)
			}
			for enc, out := range outs {
				for _, s := range e.secrets {
					assert.NotContains(t, out, s, "%s", enc)
				}
			}
		})
	}
}

func mustREST(t *testing.T, u string) *rest.Client {
	c, err := rest.New(rest.Config{BaseURL: u})
	require.NoError(t, err)
	return c
}

func mustSOAP(t *testing.T, u string) *soap.Client {
	c, err := soap.New(soap.Config{URL: u})
	require.NoError(t, err)
	return c
}

// realError is an error made by a real call, and the secrets it must not
// show.
type realError struct {
	err     error
	secrets []string
}

// realErrors returns errors whose making involved a secret, with the
// secrets: a Persist error holding the new key, a service echoing the
// credential and the password it was sent.
func realErrors(t *testing.T, srv *ecgridtest.Server) map[string]realError {
	t.Helper()
	c := userClient(t, transports[0], adminKey, srv.URL, srv.SOAPURL)
	var newKey string
	_, persistErr := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{
		Persist: func(_ context.Context, k string) error { newKey = k; return fmt.Errorf("vault refused %s", k) }})
	require.ErrorIs(t, persistErr, ecgrid.ErrPersist)

	// A plain httptest server: newServer drains the body before its handler
	// runs, and the echo needs the body (a login's password is in it).
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg := "refused " + r.Header.Get("Authorization") + r.Header.Get("X-API-Key") + " " + string(body)
		msg = strings.NewReplacer(`"`, "'", "<", "(", ">", ")").Replace(msg)
		apiError(401, "InvalidAPIKey", "Client", "Authentication", msg)(w, r, versionOf(r))
	}))
	t.Cleanup(echo.Close)
	var panicKey string
	_, panicErr := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{
		Persist: func(_ context.Context, k string) error { panicKey = k; panic(errors.New("vault exploded: " + k)) }})
	var pe *ecgrid.PanicError
	require.ErrorAs(t, panicErr, &pe)
	var panicKey2 string
	_, panicStrErr := c.RotateAPIKey(context.Background(), 42, ecgrid.RotateOptions{
		Persist: func(_ context.Context, k string) error { panicKey2 = k; panic("vault exploded: " + k) }})
	var pe2 *ecgrid.PanicError
	require.ErrorAs(t, panicStrErr, &pe2)
	out := map[string]realError{
		"persist":            {persistErr, []string{newKey}},
		"panic":              {panicErr, []string{panicKey}},
		"panic value":        {pe, []string{panicKey}},
		"panic deref":        {*pe, []string{panicKey}},
		"panic string":       {panicStrErr, []string{panicKey2}},
		"panic string value": {pe2, []string{panicKey2}},
		"panic string deref": {*pe2, []string{panicKey2}},
	}
	for _, tc := range transports {
		// The only credential of the client: a bearer token on REST (an
		// API key beside it would be sent instead), a session on SOAP.
		bearer := "S3CR3T-token-1"
		copts := []ecgrid.Option{ecgrid.WithBearerToken(bearer), ecgrid.WithRESTURL(echo.URL),
			ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1})}
		if tc.version != "" {
			copts = []ecgrid.Option{ecgrid.WithSessionID(bearer), ecgrid.WithSOAPURL(echo.URL + "/soap"),
				ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)),
				ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1})}
		}
		bc, err := ecgrid.New(copts...)
		require.NoError(t, err)
		_, err = bc.Users().GetAPIKey(context.Background(), 42)
		require.Error(t, err)
		out["credential/"+tc.name] = realError{err, []string{bearer}}
		_, err = bc.Sessions().WhoAmI(context.Background())
		require.Error(t, err)
		out["credential whoami/"+tc.name] = realError{err, []string{bearer}}
		err = bc.Sessions().Logout(context.Background(), ecgrid.Session{Token: bearer, Transport: bc.Transport()})
		require.Error(t, err)
		out["credential logout/"+tc.name] = realError{err, []string{bearer}}

		const password = "S3CR3T-pw-1"
		lopts := []ecgrid.Option{ecgrid.WithLogin("alice", password), ecgrid.WithRESTURL(echo.URL),
			ecgrid.WithSOAPURL(echo.URL + "/soap"), ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1})}
		if tc.version != "" {
			lopts = append(lopts, ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(tc.version)))
		}
		lc, err := ecgrid.New(lopts...)
		require.NoError(t, err)
		_, err = lc.Users().GetAPIKey(context.Background(), 42)
		require.ErrorIs(t, err, ecgrid.ErrUnauthorized)
		out["password/"+tc.name] = realError{err, []string{password}}
	}
	return out
}

type sample struct {
	name string
	v    any
}

// ecgridtestSamples are values of ecgridtest's exported types.
func ecgridtestSamples() []sample {
	return []sample{
		{"ecgridtest.Server", &ecgridtest.Server{}},
		{"ecgridtest.User", ecgridtest.User{}},
		{"ecgridtest.Option", ecgridtest.WithUser(ecgridtest.User{ID: 9, APIKey: "S3CR3T-user-option"})},
		{"ecgridtest.AuthLevel", ecgridtest.AuthLevelNetworkAdmin},
		{"ecgridtest.Fault", ecgridtest.Fault{}},
		{"ecgridtest.DropMode", ecgridtest.DropAfterApply},
		{"ecgridtest.Request", ecgridtest.Request{}},
	}
}

// TestErrorHidesTheKeyUnderBadVerbs: fmt answers a verb the value does not
// take (%w outside Errorf, as in log.Printf("…: %w", err)) by printing the
// fields through reflection, without asking the value. The new key an
// *Error keeps for redaction (after a failed Persist) must not be one of
// them, and neither may the Persist error's own text.
func TestErrorHidesTheKeyUnderBadVerbs(t *testing.T) {
	for _, persistErr := range []func(string) error{
		func(string) error { return errors.New("disk full") },
		func(key string) error { return errors.New("could not write " + key) },
		func(key string) error { return fmt.Errorf("store: %w", errors.New("could not write "+key)) },
	} {
		srv := ecgridtest.NewServer(ecgridtest.WithUser(ecgridtest.User{ID: 42, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: adminKey}))
		c, err := ecgrid.New(ecgrid.WithAPIKey(adminKey), ecgrid.WithRESTURL(srv.URL))
		require.NoError(t, err)
		_, err = c.RotateAPIKey(context.Background(), 42,
			ecgrid.RotateOptions{Persist: func(_ context.Context, key string) error { return persistErr(key) }})
		require.ErrorIs(t, err, ecgrid.ErrPersist)
		key, _ := srv.Key(42)
		require.NotEqual(t, adminKey, key, "the fake rotated the key")
		w, p := strings.Repeat("%w", 1), strings.Repeat("%p", 1)
		for name, s := range map[string]string{
			"Sprintf %w": fmt.Sprintf(w, err), "Sprintf %p": fmt.Sprintf(p, err),
			"Errorf %w": fmt.Errorf(w, err).Error(), "Sprintf %w of the Error value": fmt.Sprintf(w, *err.(*ecgrid.Error)),
		} {
			assert.NotContains(t, s, key, "%s: %s", name, s)
		}
		srv.Close()
	}
}
