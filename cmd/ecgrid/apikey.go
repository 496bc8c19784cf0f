// This file implements "ecgrid apikey generate" and "ecgrid apikey get".

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ecgridkit/ecgrid"
)

// keyFlags are the flags of "apikey generate" and "apikey get".
type keyFlags struct {
	netFlags
	user string
	yes  bool // generate only
}

// newKeyFlagSet returns the flag set of "apikey generate" (generate true) or
// "apikey get"; its usage goes to the flag set's output.
func newKeyFlagSet(generate bool) (*flag.FlagSet, *keyFlags) {
	name, what := "ecgrid apikey get", "Print the user's current API key without changing it. The service lets only a\n"+
		"NetworkAdmin (or higher) read a key, even its own: a user gets its own key by generating one"
	if generate {
		name, what = "ecgrid apikey generate", "Rotate the user's API key and print the new one; the current key stops working at once"
	}
	f := &keyFlags{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&f.user, "user", "", "the user `ID` (1.."+strconv.Itoa(ecgrid.MaxUserID)+"), required")
	f.netFlags.add(fs, true)
	if generate {
		fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s -user ID [flags]\n\n%s.\nOn success stdout holds the key and a newline, nothing else.\n\nFlags (-flag or --flag):\n", name, what)
		fs.PrintDefaults()
		fmt.Fprint(w, "\n"+credentialHelp)
		if generate {
			fmt.Fprint(w, "\nWithout -yes it asks for confirmation when stdin is a terminal, and refuses when it is not.\n"+
				"\nExit codes: 0 success (the new key on stdout); 1 failed or not confirmed, the old key still works;\n"+
				"2 usage error, nothing sent; 3 outcome unknown, or the new key could not be written to stdout:\n"+
				"read the current key with ECGRID_API_KEY=<a NetworkAdmin's key> ecgrid apikey get -user ID.\n")
		} else {
			fmt.Fprint(w, "\nExit codes: 0 success (the key on stdout), 1 failed, 2 usage error (nothing sent).\n")
		}
	}
	return fs, f
}

// runKeyCommand runs "apikey generate" (generate true) or "apikey get".
func (c *cli) runKeyCommand(generate bool, args []string) int {
	fs, f := newKeyFlagSet(generate)
	if code, stop := c.parseFlags(fs, args); stop {
		return code
	}
	creds, out := c.credentials()
	name := fs.Name()

	// Everything is checked before anything is sent.
	userID, err := parseUserID(f.user)
	if err != nil {
		out.printf("%s: %s\n", name, err.Error()) // the CLI's words and the user's argument
		return exitUsage
	}
	sess, transport, ok := openSession(out, name, &f.netFlags, creds)
	if !ok {
		return exitUsage
	}
	defer sess.close(out, name)
	ask := generate && !f.yes
	if ask && !c.isTerminal() {
		out.printf("%s: stdin is not a terminal: refusing to rotate the key of user %d without -yes (nothing was sent)\n", name, userID)
		return exitUsage
	}

	ctx, stop := c.netContext()
	defer stop()
	if ask {
		q := fmt.Sprintf("Generate a new API key for user %d over %s?\nThe current key of user %d stops working at once.",
			userID, f.endpoint(transport), userID)
		ok, err := confirm(ctx, c.stdin, out, q)
		switch {
		case err != nil:
			out.printf("%s: %s: nothing was sent; the key of user %d was not rotated and the old key still works\n", name, errInterrupted, userID)
			return exitFailed
		case !ok:
			out.printf("%s: not confirmed: nothing was sent; the key of user %d was not rotated and the old key still works\n", name, userID)
			return exitFailed
		}
	}

	cctx, cancel := context.WithTimeout(ctx, f.timeout)
	var key string
	if generate {
		key, err = sess.client.Users().GenerateAPIKey(cctx, userID)
	} else {
		key, err = sess.client.Users().GetAPIKey(cctx, userID)
	}
	cancel()
	stop() // from here on, SIGINT and SIGTERM act as usual, also during the logout
	if err == nil {
		if _, werr := io.WriteString(c.stdout, key+"\n"); werr != nil {
			out.printf("%s: writing the key to stdout: %s\n", name, werr)
			if generate {
				// The key was rotated but the new one was lost on the way out.
				out.printf("%s: the key of user %d was rotated, but the new key was lost: the old key no longer works.\n", name, userID)
				printRecovery(out, userID, f, sess.login)
				return exitUnknown
			}
			return exitFailed
		}
		return exitOK
	}

	// On a failure that left the key alone, the library's message says so
	// ("the key was not rotated: the old key still works"): every error of
	// GenerateAPIKey has its Op.
	out.printf("%s: %s\n", name, libMsg(err))
	code := exitCode(generate, err)
	if code == exitUnknown {
		printRecovery(out, userID, f, sess.login)
	}
	return code
}

// exitCode maps the error of a key call to an exit code.
func exitCode(generate bool, err error) int {
	e := errorAs(err)
	if e != nil && e.StatusCode == 0 && errors.Is(err, ecgrid.ErrInvalidInput) {
		return exitUsage // refused by the library before sending
	}
	if !generate {
		return exitFailed // reading a key never changes it
	}
	if errors.Is(err, ecgrid.ErrOutcomeUnknown) || e == nil {
		// Not an *ecgrid.Error (which the library never returns): nothing
		// proves the key was left alone.
		return exitUnknown
	}
	return exitFailed
}

// printRecovery tells how to read the current key after generate's exit 3.
func printRecovery(out secretWriter, userID int, f *keyFlags, login bool) {
	out.printf("To read the current key of user %d, with a NetworkAdmin's credential (reading a key needs NetworkAdmin):\n  %s=<a NetworkAdmin's key> %s\n",
		userID, envAPIKey, recoveryCommand(strconv.Itoa(userID), &f.netFlags))
	how := "A SOAP session of user " + strconv.Itoa(userID) + " (" + envSessionID + ") survives a rotation"
	if login {
		how += ", and so does its login (" + envUsername + " and " + envPassword + ")"
	}
	out.printf("%s; if user %d may read keys, it can run that command with -transport soap instead of an admin's key.\n", how, userID)
}

// recoveryCommand returns the "ecgrid apikey get" command line that reads
// the current key of user (an ID, or a placeholder such as "ID") with the
// same transport settings.
func recoveryCommand(user string, f *netFlags) string {
	cmd := "ecgrid apikey get -user " + user
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

// parseUserID reads -user: a decimal integer in 1..ecgrid.MaxUserID. It
// fails when s is empty or not such an integer.
func parseUserID(s string) (int, error) {
	if s == "" {
		return 0, errors.New("-user ID is required")
	}
	id, err := parseID(s)
	if err != nil {
		return 0, fmt.Errorf("-user %w", err)
	}
	return id, nil
}

// parseID reads a user ID: a decimal integer in 1..ecgrid.MaxUserID. Its
// error quotes s and says what is wanted, for the caller to prefix with the
// flag's name.
func parseID(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > ecgrid.MaxUserID {
		return 0, fmt.Errorf("%q is not a user ID: want an integer between 1 and %d", s, ecgrid.MaxUserID)
	}
	return int(n), nil
}
