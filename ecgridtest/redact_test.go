package ecgridtest_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// Secrets of TestNoEncodingRevealsSecrets: distinctive, so that a hit is a leak.
const (
	leakKey      = "LEAKKEY-0123-4567-89ab-cdefLEAKKEY"
	leakPassword = "LeakPassword-Tr0ub4dor&3"
	leakSession  = "LEAKSESSION-0123456789abcdef"
)

// TestNoEncodingRevealsSecrets walks every exported type that holds or logs a
// secret through every encoder and fails if a secret (or its hex form) shows.
func TestNoEncodingRevealsSecrets(t *testing.T) {
	u := ecgridtest.User{
		ID: 7, Level: ecgridtest.AuthLevelNetworkAdmin, APIKey: leakKey,
		Login: "alice", Password: leakPassword, Email: "alice@example.com",
		FirstName: "Alice", LastName: "Liddell", NetworkID: 11, MailboxID: 12,
	}
	s := setup(t, ecgridtest.WithUser(u), ecgridtest.WithSession(7, leakSession))
	c := client(t, 0)
	restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/7", apiKey(leakKey))
	restDo(t, c, http.MethodGet, s.URL+"/v2/users/key/7", bearer(leakSession))
	soapDo(t, c, s.SOAPURL, soapReq{Version: "1.1", Op: "UserGetAPIKey", SessionID: leakKey, UserID: "7"})
	token := restLogin(t, c, s, "alice", leakPassword).Token
	restJSON(t, c, http.MethodPost, s.URL+"/v2/auth/refresh", nil, `{"token":"`+token+`"}`)
	sid := soapLogin(t, c, s, "1.2", "alice", leakPassword)
	soapDo(t, c, s.SOAPURL, sessionCall("1.1", "WhoAmI", sid))
	reqs := s.Requests()
	require.Len(t, reqs, 7)

	type holder struct {
		U   ecgridtest.User
		P   *ecgridtest.User
		All []ecgridtest.User
		M   map[string]ecgridtest.User
	}
	values := map[string]any{
		"User":           u,
		"*User":          &u,
		"[]User":         []ecgridtest.User{u, u},
		"struct":         holder{U: u, P: &u, All: []ecgridtest.User{u}, M: map[string]ecgridtest.User{"a": u}},
		"added User":     s.AddUser(ecgridtest.User{ID: 8, APIKey: leakKey + "-8", Login: "bob", Password: leakPassword}),
		"*Server":        s,
		"[]Request":      reqs,
		"Request":        reqs[0],
		"Request.Header": reqs[1].Header,
	}
	encoders := map[string]func(v any) (string, error){}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		encoders["fmt "+verb] = func(v any) (string, error) { return fmt.Sprintf(verb, v), nil }
	}
	encoders["fmt Sprint"] = func(v any) (string, error) { return fmt.Sprint(v), nil }
	encoders["encoding/json"] = func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	encoders["encoding/xml"] = func(v any) (string, error) {
		if _, ok := v.(http.Header); ok {
			return "", nil // xml cannot encode maps
		}
		b, err := xml.Marshal(v)
		if err != nil && strings.Contains(err.Error(), "unsupported type") {
			return "", nil // maps and the like: nothing encoded, nothing revealed
		}
		return string(b), err
	}
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		encoders[name] = func(v any) (string, error) {
			var b bytes.Buffer
			l := slog.New(newHandler(&b))
			l.Info("value", "v", v)
			l.Info("group", slog.Group("g", slog.Any("v", v)))
			l.With("w", v).Info("with")
			return b.String(), nil
		}
	}

	// fmt answers a verb a value does not take (%w outside Errorf, %p on a
	// value) by printing its fields through reflection, without asking the
	// value. A User's secrets are exported fields, which nothing can hide
	// then; the Server and the Requests keep none where fmt would look.
	badVerbs := map[string]bool{"*Server": true, "[]Request": true, "Request": true, "Request.Header": true}
	for _, verb := range []string{"%w", "%p"} {
		encoders["fmt bad verb "+verb] = func(v any) (string, error) { return fmt.Sprintf(strings.Repeat(verb, 1), v), nil }
	}

	secrets := []string{leakKey, leakPassword, leakSession, token, sid, key(t, s, userID), key(t, s, adminID)}
	for vname, v := range values {
		for ename, enc := range encoders {
			if strings.HasPrefix(ename, "fmt bad verb") && !badVerbs[vname] {
				continue
			}
			t.Run(vname+"/"+ename, func(t *testing.T) {
				out, err := enc(v)
				require.NoError(t, err)
				for _, secret := range secrets {
					for _, form := range []string{secret, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret)))} {
						if i := strings.Index(out, form); i >= 0 {
							t.Errorf("secret %.8s… revealed: …%s…", secret, out[max(0, i-60):min(len(out), i+len(form)+20)])
						}
					}
				}
			})
		}
	}
}

// TestUserEncodings checks the encodings still say who the user is.
func TestUserEncodings(t *testing.T) {
	u := ecgridtest.User{ID: 7, Level: ecgridtest.AuthLevelNetOps, APIKey: leakKey, Login: "alice", Password: leakPassword, NetworkID: 11}
	want := `ecgridtest.User{ID: 7, Level: NetOps, Login: "alice", Email: "", FirstName: "", LastName: "", NetworkID: 11, MailboxID: 0, APIKey: LEAK…, Password: [redacted]}`
	assert.Equal(t, want, fmt.Sprintf("%#v", u))
	assert.Equal(t, strings.TrimPrefix(want, "ecgridtest."), u.String())
	assert.Equal(t, fmt.Sprintf("%q", u.String()), fmt.Sprintf("%q", u))

	b, err := json.Marshal(u)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ID":7,"Level":"NetOps","APIKey":"LEAK…","Login":"alice","Password":"[redacted]","Email":"","FirstName":"","LastName":"","NetworkID":11,"MailboxID":0}`, string(b))
	b, err = xml.Marshal(u)
	require.NoError(t, err)
	assert.Contains(t, string(b), `<User><ID>7</ID><Level>NetOps</Level><APIKey>LEAK…</APIKey><Login>alice</Login><Password>[redacted]</Password>`)

	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "u", u)
	assert.Contains(t, buf.String(), `u.ID=7 u.Level=NetOps u.Login=alice`)
	assert.Contains(t, buf.String(), `u.APIKey=LEAK… u.Password=[redacted]`)

	// No password, no placeholder.
	assert.Contains(t, ecgridtest.User{ID: 1}.String(), "APIKey: , Password: }")
}

func TestAuthLevel(t *testing.T) {
	order := []ecgridtest.AuthLevel{
		ecgridtest.AuthLevelGeneral, ecgridtest.AuthLevelTPUser, ecgridtest.AuthLevelMailboxUser,
		ecgridtest.AuthLevelMailboxAdmin, ecgridtest.AuthLevelNetworkUser, ecgridtest.AuthLevelNetworkAdmin,
		ecgridtest.AuthLevelNetOps, ecgridtest.AuthLevelTechOps, ecgridtest.AuthLevelRoot,
	}
	names := []string{"General", "TPUser", "MailboxUser", "MailboxAdmin", "NetworkUser", "NetworkAdmin", "NetOps", "TechOps", "Root"}
	for i, l := range order {
		assert.Equal(t, names[i], l.String())
		if i > 0 {
			assert.Greater(t, l, order[i-1], "privilege order")
		}
		for _, n := range []string{names[i], strings.ToLower(names[i]), strings.ToUpper(names[i])} {
			got, err := ecgridtest.ParseAuthLevel(n)
			require.NoError(t, err)
			assert.Equal(t, l, got)
		}
	}
	var zero ecgridtest.AuthLevel
	assert.Equal(t, ecgridtest.AuthLevelMailboxUser, zero)
	assert.Equal(t, ecgridtest.AuthLevelMailboxUser, ecgridtest.AuthLevelUser)
	assert.Equal(t, "AuthLevel(42)", ecgridtest.AuthLevel(42).String())
	_, err := ecgridtest.ParseAuthLevel("Admin")
	assert.ErrorContains(t, err, "NetworkAdmin")
	_, err = ecgridtest.ParseAuthLevel("AuthLevel(42)")
	assert.Error(t, err)
}

// TestLevelsBelowNetworkAdmin checks that every level below NetworkAdmin is
// refused another user's key, and every level from NetworkAdmin up is not.
func TestLevelsBelowNetworkAdmin(t *testing.T) {
	for l := ecgridtest.AuthLevelGeneral; l <= ecgridtest.AuthLevelRoot; l++ {
		t.Run(l.String(), func(t *testing.T) {
			s := setup(t, ecgridtest.WithUser(ecgridtest.User{ID: 50, Level: l}))
			r := restDo(t, client(t, 0), http.MethodGet, s.URL+"/v2/users/key/2", apiKey(key(t, s, 50)))
			if l >= ecgridtest.AuthLevelNetworkAdmin {
				assert.Equal(t, 200, r.Status)
			} else {
				assert.Equal(t, 403, r.Status)
			}
		})
	}
}
