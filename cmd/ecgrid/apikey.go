// This file implements "ecgrid apikey generate" and "ecgrid apikey get".

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ecgridkit/ecgrid"
)

// Environment variables holding the credentials.
const (
	envAPIKey    = "ECGRID_API_KEY"
	envSessionID = "ECGRID_SESSION_ID"
)

// defaultTimeout bounds a key command unless -timeout says otherwise.
const defaultTimeout = 30 * time.Second

// keyFlags are the flags of "apikey generate" and "apikey get".
type keyFlags struct {
	user        string
	transport   string
	restURL     string
	soapURL     string
	soapVersion string
	timeout     time.Duration
	yes         bool // generate only
}

// newKeyFlagSet returns the flag set of "apikey generate" (generate true) or
// "apikey get", writing its messages to stderr.
func newKeyFlagSet(generate bool, stderr io.Writer) (*flag.FlagSet, *keyFlags) {
	name, what := "ecgrid apikey get", "print the user's current API key without changing it"
	if generate {
		name, what = "ecgrid apikey generate", "rotate the user's API key and print the new one; the current key stops working at once"
	}
	f := &keyFlags{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.user, "user", "", "the user `ID` (1.."+strconv.Itoa(ecgrid.MaxUserID)+"), required")
	fs.StringVar(&f.transport, "transport", "rest", "the API to use: rest or soap")
	fs.StringVar(&f.restURL, "rest-url", ecgrid.DefaultRESTURL, "the REST base `URL` (http:// only for loopback hosts)")
	fs.StringVar(&f.soapURL, "soap-url", ecgrid.DefaultSOAPURL, "the SOAP endpoint `URL` (http:// only for loopback hosts)")
	fs.StringVar(&f.soapVersion, "soap-version", string(ecgrid.SOAP11), "the SOAP `version`: 1.1 or 1.2")
	fs.DurationVar(&f.timeout, "timeout", defaultTimeout, "bound on the whole call, retries and their waits included: a positive `DUR` such as 10s or 2m")
	if generate {
		fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s -user ID [flags]\n\n%s.\n\nFlags (-flag or --flag):\n", name, capitalize(what))
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nCredentials come from the environment only: %s (REST, and SOAP SessionID), %s (SOAP, preferred).\n", envAPIKey, envSessionID)
		if generate {
			fmt.Fprint(stderr, "\nExit codes: 0 success (the new key on stdout), 1 failed and the old key still works,\n"+
				"2 usage error or nothing sent, 3 outcome unknown: run \"ecgrid apikey get -user ID\" to read the current key.\n")
		} else {
			fmt.Fprint(stderr, "\nExit codes: 0 success (the key on stdout), 1 failed, 2 usage error or nothing sent.\n")
		}
	}
	return fs, f
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// secretWriter writes whole messages to w with every known secret replaced,
// a second line of defence behind the library's secret-free errors.
type secretWriter struct {
	w       io.Writer
	secrets []string
}

// printf formats one message, removes any secret from it and writes it.
func (s secretWriter) printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, sec := range s.secrets {
		if sec != "" {
			msg = strings.ReplaceAll(msg, sec, "[redacted]")
		}
	}
	_, _ = io.WriteString(s.w, msg)
}

// runKeyCommand runs "apikey generate" (generate true) or "apikey get".
func runKeyCommand(ctx context.Context, generate bool, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string, isTerminal func() bool) int {
	fs, f := newKeyFlagSet(generate, stderr)
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	apiKey, sessionID := env(envAPIKey), env(envSessionID)
	out := secretWriter{w: stderr, secrets: []string{apiKey, sessionID}}
	name := fs.Name()

	// Everything is checked before anything is sent.
	userID, err := parseUserID(f.user)
	if err != nil {
		out.printf("%s: %v\n", name, err)
		return exitUsage
	}
	if f.timeout <= 0 {
		out.printf("%s: -timeout must be a positive duration such as 30s, not %s\n", name, f.timeout)
		return exitUsage
	}
	opts, err := clientOptions(f, apiKey, sessionID)
	if err != nil {
		out.printf("%s: %v\n", name, err)
		return exitUsage
	}
	client, err := ecgrid.New(opts...)
	if err != nil {
		out.printf("%s: %v\n", name, err)
		return exitUsage
	}

	if generate && !f.yes {
		if !isTerminal() {
			out.printf("%s: stdin is not a terminal: refusing to rotate the key of user %d without -yes (nothing was sent)\n", name, userID)
			return exitUsage
		}
		ok, err := confirm(ctx, stdin, out, userID, endpoint(f))
		if err != nil {
			out.printf("\n%s: %v (nothing was sent)\n", name, err)
			return exitUsage
		}
		if !ok {
			out.printf("%s: not confirmed: the key of user %d was not rotated (nothing was sent)\n", name, userID)
			return exitUsage
		}
	}

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var key string
	if generate {
		key, err = client.Users().GenerateAPIKey(ctx, userID)
	} else {
		key, err = client.Users().GetAPIKey(ctx, userID)
	}
	if err == nil {
		if _, werr := io.WriteString(stdout, key+"\n"); werr != nil {
			out.printf("%s: writing the key to stdout: %v\n", name, werr)
			if generate {
				// The key was rotated but the new one was lost on the way out.
				printRecovery(out, userID, f)
				return exitUnknown
			}
			return exitFailed
		}
		return exitOK
	}

	out.printf("%s: %v\n", name, err)
	code := exitCode(generate, err)
	switch {
	case code == exitUnknown:
		printRecovery(out, userID, f)
	case code == exitFailed && generate:
		out.printf("%s: the key of user %d was not rotated: the old key still works\n", name, userID)
	}
	return code
}

// exitCode maps the error of a key call to an exit code.
func exitCode(generate bool, err error) int {
	var e *ecgrid.Error
	isErr := errors.As(err, &e)
	if isErr && e.StatusCode == 0 && errors.Is(err, ecgrid.ErrInvalidInput) {
		return exitUsage // refused by the library before sending
	}
	if !generate {
		return exitFailed // reading a key never changes it
	}
	if errors.Is(err, ecgrid.ErrOutcomeUnknown) || !isErr {
		// Not an *ecgrid.Error (which the library never returns): nothing
		// proves the key was left alone.
		return exitUnknown
	}
	return exitFailed
}

// printRecovery tells the user that generate's outcome is unknown and how
// to read the current key.
func printRecovery(out secretWriter, userID int, f *keyFlags) {
	out.printf("ecgrid apikey generate: the outcome is unknown: the key of user %d may have been rotated, so the old key may no longer work.\n", userID)
	out.printf("To recover the current key, run:\n  %s\n", recoveryCommand(userID, f))
	out.printf("with a credential that still works (a NetworkAdmin's key in %s, or a SOAP session in %s).\n", envAPIKey, envSessionID)
}

// recoveryCommand returns the "ecgrid apikey get" command line that reads
// the user's current key with the same transport settings.
func recoveryCommand(userID int, f *keyFlags) string {
	cmd := "ecgrid apikey get -user " + strconv.Itoa(userID)
	if f.transport != "rest" {
		cmd += " -transport " + f.transport
	}
	if f.restURL != ecgrid.DefaultRESTURL && f.transport == "rest" {
		cmd += " -rest-url " + shellQuote(f.restURL)
	}
	if f.soapURL != ecgrid.DefaultSOAPURL && f.transport == "soap" {
		cmd += " -soap-url " + shellQuote(f.soapURL)
	}
	if f.soapVersion != string(ecgrid.SOAP11) && f.transport == "soap" {
		cmd += " -soap-version " + f.soapVersion
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it holds anything unusual.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,[]", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// endpoint describes where the call goes, for the confirmation prompt.
func endpoint(f *keyFlags) string {
	if f.transport == "soap" {
		return "SOAP " + f.soapVersion + " at " + f.soapURL
	}
	return "REST at " + f.restURL
}

// parseUserID reads -user: a decimal integer in 1..ecgrid.MaxUserID.
func parseUserID(s string) (int, error) {
	if s == "" {
		return 0, errors.New("-user ID is required")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > ecgrid.MaxUserID {
		return 0, fmt.Errorf("-user %q is not a user ID: want an integer between 1 and %d", s, ecgrid.MaxUserID)
	}
	return int(n), nil
}

// clientOptions turns the flags and credentials into client options. It
// fails when the values are unusable, before anything is sent.
func clientOptions(f *keyFlags, apiKey, sessionID string) ([]ecgrid.Option, error) {
	var opts []ecgrid.Option
	switch f.transport {
	case "rest":
		if apiKey == "" {
			if sessionID != "" {
				return nil, fmt.Errorf("the REST transport needs %s (%s is only for SOAP)", envAPIKey, envSessionID)
			}
			return nil, fmt.Errorf("no credential: set %s", envAPIKey)
		}
		opts = append(opts, ecgrid.WithTransport(ecgrid.REST))
	case "soap":
		if apiKey == "" && sessionID == "" {
			return nil, fmt.Errorf("no credential: set %s or %s", envSessionID, envAPIKey)
		}
		opts = append(opts, ecgrid.WithTransport(ecgrid.SOAP))
	default:
		return nil, fmt.Errorf("-transport %q: want rest or soap", f.transport)
	}
	switch v := ecgrid.SOAPVersion(f.soapVersion); v {
	case ecgrid.SOAP11, ecgrid.SOAP12:
		opts = append(opts, ecgrid.WithSOAPVersion(v))
	default:
		return nil, fmt.Errorf("-soap-version %q: want 1.1 or 1.2", f.soapVersion)
	}
	// ecgrid.New refuses http:// to hosts that are not loopback; no
	// insecure option is ever given.
	opts = append(opts,
		ecgrid.WithRESTURL(f.restURL),
		ecgrid.WithSOAPURL(f.soapURL),
		ecgrid.WithTimeout(f.timeout),
		ecgrid.WithUserAgent("ecgrid-cli/"+ecgrid.Version),
	)
	if apiKey != "" {
		opts = append(opts, ecgrid.WithAPIKey(apiKey))
	}
	if sessionID != "" {
		opts = append(opts, ecgrid.WithSessionID(sessionID))
	}
	return opts, nil
}

// confirm asks on out whether to rotate the user's key and reads the answer
// from stdin: y or yes (any case) accepts, anything else, including end of
// input, declines. It fails if ctx ends first (SIGINT, SIGTERM).
func confirm(ctx context.Context, stdin io.Reader, out secretWriter, userID int, where string) (bool, error) {
	out.printf("Generate a new API key for user %d over %s?\nThe current key of user %d stops working at once. [y/N]: ", userID, where, userID)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		return false, fmt.Errorf("interrupted: %w", context.Cause(ctx))
	case line := <-answer:
		if !strings.HasSuffix(line, "\n") {
			out.printf("\n") // end of input: end the prompt's line
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}
