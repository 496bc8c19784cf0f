// This file reads the credentials from the environment and builds clients
// from them and from the network flags shared by the commands.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ecgridkit/ecgrid"
)

// Environment variables holding the credentials.
const (
	envAPIKey    = "ECGRID_API_KEY"
	envSessionID = "ECGRID_SESSION_ID"
	envUsername  = "ECGRID_USERNAME"
	envPassword  = "ECGRID_PASSWORD"
)

// defaultTimeout bounds the network work of a command unless -timeout says
// otherwise.
const defaultTimeout = 30 * time.Second

// logoutTimeout bounds the logout at the end of a command that logged in.
const logoutTimeout = 10 * time.Second

// credentials are the secrets found in the environment.
type credentials struct {
	apiKey, sessionID, username, password string
}

// readCredentials reads the credential variables with getenv.
func readCredentials(getenv func(string) string) credentials {
	return credentials{
		apiKey:    getenv(envAPIKey),
		sessionID: getenv(envSessionID),
		username:  getenv(envUsername),
		password:  getenv(envPassword),
	}
}

// credentials reads the credentials from the environment and returns them
// with the writer of a network command's messages: stderr, never showing
// them.
func (c *cli) credentials() (credentials, secretWriter) {
	creds := readCredentials(c.getenv)
	return creds, secretWriter{w: c.stderr, secrets: creds.secrets()}
}

// secrets returns the values no message may show.
func (c credentials) secrets() []string {
	return []string{c.apiKey, c.sessionID, c.password}
}

// credentialHelp describes the variables and their precedence, for the usage
// texts.
const credentialHelp = `Credentials come from the environment only, never from flags:
  ECGRID_API_KEY      an API key (REST X-API-Key; SOAP SessionID)
  ECGRID_SESSION_ID   an ECGridOS session ID (SOAP only)
  ECGRID_USERNAME     with ECGRID_PASSWORD: log in for the command, log out at its end
  ECGRID_PASSWORD
When several are set, one is used: on SOAP ECGRID_SESSION_ID, else ECGRID_API_KEY,
else the login; on REST ECGRID_API_KEY, else the login (ECGRID_SESSION_ID is ignored).
The password is never printed.
`

// option returns the option that authenticates a client on transport t,
// chosen by the precedence above, and whether it logs in. It fails, with a
// message naming the variables, when no usable credential is set.
func (c credentials) option(t ecgrid.Transport) (opt ecgrid.Option, login bool, err error) {
	if t == ecgrid.SOAP && c.sessionID != "" {
		return ecgrid.WithSessionID(c.sessionID), false, nil
	}
	if c.apiKey != "" {
		return ecgrid.WithAPIKey(c.apiKey), false, nil
	}
	switch {
	case c.username != "" && c.password != "":
		return ecgrid.WithLogin(c.username, c.password), true, nil
	case c.username != "":
		return nil, false, fmt.Errorf("%s is set but %s is empty: set both to log in", envUsername, envPassword)
	case c.password != "":
		return nil, false, fmt.Errorf("%s is set but %s is empty: set both to log in", envPassword, envUsername)
	case t == ecgrid.REST && c.sessionID != "":
		return nil, false, fmt.Errorf("the REST transport can't use %s (SOAP only): set %s, or %s and %s",
			envSessionID, envAPIKey, envUsername, envPassword)
	case t == ecgrid.REST:
		return nil, false, fmt.Errorf("no credential: set %s, or %s and %s", envAPIKey, envUsername, envPassword)
	}
	return nil, false, fmt.Errorf("no credential: set %s, %s, or %s and %s", envSessionID, envAPIKey, envUsername, envPassword)
}

// netFlags are the flags that say how to reach ECGrid.
type netFlags struct {
	transport   string
	restURL     string
	soapURL     string
	soapVersion string
	timeout     time.Duration
}

// timeoutHelp is the usage of -timeout.
const timeoutHelp = "bound on each network call, retries and their waits included, a positive `DUR` such as 10s or 2m;\n" +
	"it starts after the confirmation, if any"

// add defines the flags on fs; -transport only if withTransport.
func (f *netFlags) add(fs *flag.FlagSet, withTransport bool) {
	if withTransport {
		fs.StringVar(&f.transport, "transport", "rest", "the `API` to use: rest or soap")
	} else {
		f.transport = "soap"
	}
	fs.StringVar(&f.restURL, "rest-url", ecgrid.DefaultRESTURL, "the REST base `URL` (http:// only for loopback hosts)")
	fs.StringVar(&f.soapURL, "soap-url", ecgrid.DefaultSOAPURL, "the SOAP endpoint `URL` (http:// only for loopback hosts)")
	fs.StringVar(&f.soapVersion, "soap-version", string(ecgrid.SOAP11), "the SOAP `version`: 1.1 or 1.2")
	fs.DurationVar(&f.timeout, "timeout", defaultTimeout, timeoutHelp)
}

// check validates the flags and returns the chosen transport.
func (f *netFlags) check() (ecgrid.Transport, error) {
	if f.timeout <= 0 {
		return "", fmt.Errorf("-timeout must be a positive duration such as 30s, not %s", f.timeout)
	}
	switch v := ecgrid.SOAPVersion(f.soapVersion); v {
	case ecgrid.SOAP11, ecgrid.SOAP12:
	default:
		return "", fmt.Errorf("-soap-version %q: want 1.1 or 1.2", f.soapVersion)
	}
	switch t := ecgrid.Transport(f.transport); t {
	case ecgrid.REST, ecgrid.SOAP:
		return t, nil
	}
	return "", fmt.Errorf("-transport %q: want rest or soap", f.transport)
}

// options returns the client options for transport t, without credentials.
// ecgrid.New refuses http:// to hosts that are not loopback; no insecure
// option is ever given.
func (f *netFlags) options(t ecgrid.Transport) []ecgrid.Option {
	return []ecgrid.Option{
		ecgrid.WithTransport(t),
		ecgrid.WithSOAPVersion(ecgrid.SOAPVersion(f.soapVersion)),
		ecgrid.WithRESTURL(f.restURL),
		ecgrid.WithSOAPURL(f.soapURL),
		ecgrid.WithTimeout(f.timeout),
		ecgrid.WithUserAgent("ecgrid-cli/" + ecgrid.Version),
	}
}

// endpoint describes where the calls go, for messages.
func (f *netFlags) endpoint(t ecgrid.Transport) string {
	if t == ecgrid.SOAP {
		return "SOAP " + f.soapVersion + " at " + f.soapURL
	}
	return "REST at " + f.restURL
}

// session is a client built for one command, and whether it logs in.
type session struct {
	client *ecgrid.Client
	login  bool
}

// openSession validates the flags and the credentials and builds the client
// of command name; nothing is sent. When they are unusable it says why on out
// and returns false: the command exits with exitUsage.
func openSession(out secretWriter, name string, f *netFlags, creds credentials) (session, ecgrid.Transport, bool) {
	fail := func(err error) (session, ecgrid.Transport, bool) {
		out.printf("%s: %s\n", name, libMsg(err))
		return session{}, "", false
	}
	t, err := f.check()
	if err != nil {
		return fail(err)
	}
	cred, login, err := creds.option(t)
	if err != nil {
		return fail(err)
	}
	c, err := ecgrid.New(append(f.options(t), cred)...)
	if err != nil {
		return fail(err)
	}
	return session{client: c, login: login}, t, true
}

// close closes the client; if it logged in, it logs out with a context of
// its own (so that it runs after SIGINT too) and reports a failed logout.
func (s session) close(out secretWriter, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), logoutTimeout)
	defer cancel()
	if err := s.client.Close(ctx); err != nil && s.login {
		out.printf("%s: warning: logging out failed: %s; the session ends when the service expires it\n", name, libMsg(err))
	}
}

// secretWriter writes whole messages to w with every known secret removed
// from the text that came from the library or the service, a second line of
// defence behind the library's secret-free errors.
//
// Only the arguments of type libText or error are redacted: the format and
// the other arguments are the CLI's own words and the user's own arguments
// (names, paths, URLs, user IDs), which never hold a secret, and replacing
// every substring match of a short secret (ECGRID_API_KEY=k) in them would
// garble them ("ecgrid api[redacted]ey get"). A CLI-built error that quotes
// the user's argument is passed as its string.
type secretWriter struct {
	w       io.Writer
	secrets []string
}

// libText is text from the library or the service, such as libMsg's: printf
// removes every secret from it.
type libText string

// printf formats one message, with every secret removed from its libText
// and error arguments, and writes it.
func (s secretWriter) printf(format string, args ...any) {
	args = append([]any(nil), args...) // never the caller's slice
	for i, a := range args {
		switch v := a.(type) {
		case libText:
			args[i] = s.redact(string(v))
		case error:
			args[i] = s.redact(v.Error())
		}
	}
	_, _ = io.WriteString(s.w, fmt.Sprintf(format, args...))
}

// redact returns text with every non-empty secret replaced by "[redacted]".
func (s secretWriter) redact(text string) string {
	for _, sec := range s.secrets {
		if sec != "" {
			text = strings.ReplaceAll(text, sec, "[redacted]")
		}
	}
	return text
}

// libMsg returns the text of an error from the library for a message that
// starts with the command's name: without its "ecgrid: " and "New: "
// prefixes, and with one sentence end where the service's message ends in
// one and the library goes on after a semicolon (`…user."; the key` becomes
// `…user." The key`). It is libText: printf redacts it.
func libMsg(err error) libText {
	s := err.Error()
	s = strings.TrimPrefix(s, "ecgrid: ")
	s = strings.TrimPrefix(s, "New: ")
	var b strings.Builder
	for {
		i := strings.Index(s, "; ")
		if i < 0 {
			break
		}
		head, tail := s[:i], s[i+2:]
		b.WriteString(head)
		end := strings.TrimSuffix(head, `"`)
		if strings.HasSuffix(end, ".") || strings.HasSuffix(end, "!") || strings.HasSuffix(end, "?") {
			b.WriteString(" ")
			r, size := utf8.DecodeRuneInString(tail)
			b.WriteRune(unicode.ToUpper(r))
			tail = tail[size:]
		} else {
			b.WriteString("; ")
		}
		s = tail
	}
	b.WriteString(s)
	return libText(b.String())
}

// errorAs returns err as an *ecgrid.Error, or nil.
func errorAs(err error) *ecgrid.Error {
	var e *ecgrid.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
