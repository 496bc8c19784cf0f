// This file implements "ecgrid migrate": moving the integration of the
// credential's own user from SOAP to REST, on top of
// ecgrid.Client.MigrateToREST.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/ecgridkit/ecgrid"
)

// migrateFlags are the flags of "migrate".
type migrateFlags struct {
	netFlags
	out                string
	rotate, force, yes bool
}

const migrateAbout = `Move the integration of the credential's own user from SOAP to REST. In order:
  1. SOAP WhoAmI gives the user ID;
  2. SOAP UserGetAPIKey reads the user's current API key, which is reused (nothing
     changes on the server). With -rotate, or when the user has none, a new key is
     generated instead: the current key, if any, stops working at once (a SOAP
     session survives). Reading a key needs NetworkAdmin: a user below that needs
     -rotate;
  3. the key is written to FILE, mode 0600, atomically (an existing FILE is
     refused unless -force; this is checked before anything is sent);
  4. REST GET /v2/users/me with the key must answer the same user ID;
  5. if the command logged in (ECGRID_USERNAME and ECGRID_PASSWORD), it logs out.
stdout stays empty: the key is only in FILE. stderr says what was done and the
next step: use the key in FILE as ECGRID_API_KEY with the REST transport.
The SOAP call uses the credential from the environment (any of the three).
`

const migrateExits = `
Exit codes:
  0  done: FILE holds a key that REST accepts for the user
  1  failed, and nothing changed on the server (the read was refused without
     -rotate, a wrong password, FILE exists without -force, not confirmed, …)
  2  usage error or invalid input: nothing was sent (also when FILE can't be
     created: it is a directory, or its directory is missing or unwritable)
  3  a generation's outcome is unknown and could not be settled, or the new key
     could not be written (FILE was not written): read the current key with
     ECGRID_API_KEY=<a NetworkAdmin's key> ecgrid apikey get -user ID
  4  a new key was generated and saved in FILE, but REST refused it (stderr says why)
`

// migrateName is the name of "ecgrid migrate" in its messages.
const migrateName = "ecgrid migrate"

// runMigrate runs "ecgrid migrate".
func (c *cli) runMigrate(args []string) int {
	f := &migrateFlags{}
	fs := flag.NewFlagSet(migrateName, flag.ContinueOnError)
	fs.StringVar(&f.out, "out", "", "the `FILE` to write the key to, required")
	f.netFlags.add(fs, false)
	fs.BoolVar(&f.rotate, "rotate", false, "generate a new key even if the user has one (the current key stops working at once)")
	fs.BoolVar(&f.force, "force", false, "replace FILE if it exists")
	fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation before generating a key (required when stdin is not a terminal)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, "Usage: ecgrid migrate -out FILE [flags]\n\n"+migrateAbout+"\nFlags (-flag or --flag):\n")
		fs.PrintDefaults()
		fmt.Fprint(w, "\n"+credentialHelp+migrateExits)
	}
	if code, stop := c.parseFlags(fs, args); stop {
		return code
	}
	creds, out := c.credentials()
	const name = migrateName

	// Everything is checked before anything is sent.
	if f.out == "" {
		out.printf("%s: -out FILE is required\n", name)
		fs.Usage()
		return exitUsage
	}
	sess, _, ok := openSession(out, name, &f.netFlags, creds)
	if !ok {
		return exitUsage
	}
	// openSession has checked -rest-url too: ecgrid.New validates the REST
	// URL whatever the transport, so MigrateToREST's own check of the REST
	// options can't fail after something was sent.
	defer sess.close(out, name)
	if f.rotate && !f.yes && !c.isTerminal() {
		out.printf("%s: stdin is not a terminal: refusing to generate a new key with -rotate without -yes (nothing was sent)\n", name)
		return exitUsage
	}
	kf, err := prepareKeyFile(f.out, f.force)
	if err != nil {
		out.printf("%s: -out %s; nothing was sent\n", name, err.Error()) // the CLI's words and the user's path
		if errors.Is(err, errFileExists) {
			return exitFailed // documented: the user may mean to keep FILE
		}
		return exitUsage // FILE can't be created: invalid input, nothing sent
	}
	defer kf.discard()

	ctx, stop := c.netContext()
	defer stop()
	var declined, interrupted bool
	var persistErr error
	m, err := sess.client.MigrateToREST(ctx, ecgrid.MigrateOptions{
		Rotate: f.rotate,
		Confirm: func(ctx context.Context, userID int) (bool, error) {
			if f.yes {
				return true, nil
			}
			if !c.isTerminal() {
				out.printf("%s: user %d has no API key to reuse, and stdin is not a terminal: refusing to generate one without -yes\n", name, userID)
				declined = true
				return false, nil
			}
			q := fmt.Sprintf("Generate a new API key for user %d over %s?\nThe current key of user %d, if any, stops working at once.",
				userID, f.endpoint(ecgrid.SOAP), userID)
			ok, err := confirm(ctx, c.stdin, out, q)
			interrupted = err != nil
			declined = !ok
			return ok, err
		},
		Persist: func(_ context.Context, key string) error {
			persistErr = kf.write(key)
			return persistErr
		},
		REST:        f.options(ecgrid.REST),
		StepTimeout: f.timeout,
	})
	stop() // from here on, SIGINT and SIGTERM act as usual
	code := c.migrateReport(out, f, m, err, declined, interrupted, persistErr)
	// Speak of the session only when WhoAmI proved there was one.
	if sess.login && m.UserID != 0 {
		if m.LoggedOut {
			out.printf("%s: logged out of the SOAP session.\n", name)
		} else {
			out.printf("%s: warning: logging out of the SOAP session failed: it ends when the service expires it.\n", name)
		}
	}
	return code
}

// migrateReport tells on stderr what the migration did, and returns the
// exit code.
func (c *cli) migrateReport(out secretWriter, f *migrateFlags, m ecgrid.Migration, err error, declined, interrupted bool, persistErr error) int {
	const name = migrateName
	user := strconv.Itoa(m.UserID)
	e := errorAs(err)
	rotated := m.Rotated || e != nil && e.Outcome == ecgrid.OutcomeApplied
	if rotated {
		how := "a new API key was generated for user " + user
		switch {
		case f.rotate:
			how += " (-rotate)"
		default:
			how += " (the user had none)"
		}
		if m.Recovered {
			how += "; its answer was lost, and the key was read back"
		}
		out.printf("%s: %s; the previous key, if any, no longer works.\n", name, how)
	}

	switch {
	case err == nil:
		if m.Reused {
			out.printf("%s: user %s: reused the existing API key; nothing changed on the server.\n", name, user)
		}
		out.printf("%s: wrote the key to %s (mode 0600).\n", name, f.out)
		out.printf("%s: verified on REST at %s: GET /v2/users/me with the key answers user %s.\n", name, f.restURL, user)
		next := "ECGRID_API_KEY=\"$(cat " + shellQuote(f.out) + ")\" ecgrid whoami -transport rest"
		if f.restURL != ecgrid.DefaultRESTURL {
			next += " -rest-url " + shellQuote(f.restURL)
		}
		out.printf("Next: use the key in %s as %s with the REST transport, for example:\n  %s\n", f.out, envAPIKey, next)
		return exitOK

	case declined || interrupted:
		what := "not confirmed"
		if interrupted {
			what = errInterrupted.Error()
		}
		out.printf("%s: %s: no key was generated; nothing changed on the server and %s was not written.\n", name, what, f.out)
		return exitFailed

	case rotated && !m.Persisted:
		why := "it was not stored"
		if persistErr != nil {
			why = persistErr.Error()
		}
		out.printf("%s: the new key could not be written: %s; %s was not written.\n", name, why, f.out)
		c.migrateRecovery(out, f, m.UserID)
		return exitUnknown

	case rotated:
		out.printf("%s: the new key was saved in %s, but REST refused it: %s\n", name, f.out, verifyWhy(e, m.UserID))
		out.printf("%s: the key in %s is the user's current key (SOAP accepts it); check -rest-url (%s) and the user's REST access.\n",
			name, f.out, f.restURL)
		return exitUnverified

	case errors.Is(err, ecgrid.ErrOutcomeUnknown):
		out.printf("%s: %s\n", name, libMsg(err))
		c.migrateRecovery(out, f, m.UserID)
		return exitUnknown

	case errors.Is(err, ecgrid.ErrVerify):
		out.printf("%s: user %s: the existing API key was saved in %s, but REST refused it: %s\n", name, user, f.out, verifyWhy(e, m.UserID))
		out.printf("%s: nothing changed on the server; check -rest-url (%s) and the user's REST access.\n", name, f.restURL)
		return exitFailed

	case errors.Is(err, ecgrid.ErrPersist):
		var why any = libMsg(err)
		if persistErr != nil {
			why = persistErr.Error() // the CLI's own words and the user's path
		}
		out.printf("%s: the key could not be written: %s; nothing changed on the server.\n", name, why)
		return exitFailed

	case e != nil && e.Op == "GetAPIKey" && errors.Is(err, ecgrid.ErrForbidden):
		out.printf("%s: %s\n", name, libMsg(err))
		out.printf("%s: the service refused to read the key of user %s: reading a key needs NetworkAdmin or higher, even one's own.\n",
			name, user)
		out.printf("%s: nothing changed on the server. To generate a new key instead, run again with -rotate\n"+
			"(the current key of user %s then stops working at once; a SOAP session survives).\n", name, user)
		return exitFailed
	}
	out.printf("%s: %s\n", name, libMsg(err))
	// A failed generation's message already says the key was not rotated.
	if e == nil || e.Op != "GenerateAPIKey" {
		out.printf("%s: nothing changed on the server.\n", name)
	}
	return exitFailed
}

// migrateRecovery tells how to read the current key after migrate's exit 3.
func (c *cli) migrateRecovery(out secretWriter, f *migrateFlags, userID int) {
	user := "ID"
	if userID != 0 {
		user = strconv.Itoa(userID)
	}
	cmd := recoveryCommand(user, &netFlags{transport: "rest", restURL: f.restURL})
	out.printf("To read the current key of user %s, with a NetworkAdmin's credential (reading a key needs NetworkAdmin), and store it:\n  %s=<a NetworkAdmin's key> %s > %s\n",
		user, envAPIKey, cmd, shellQuote(f.out))
	out.printf("A SOAP session of user %s (%s, or the login of %s and %s) survives a rotation: it still works.\n",
		user, envSessionID, envUsername, envPassword)
}

// verifyWhy says why REST refused the key, from an ErrVerify error.
func verifyWhy(e *ecgrid.Error, userID int) libText {
	switch {
	case e == nil:
		return "the verification failed"
	case e.Verify != nil:
		return libMsg(e.Verify)
	case e.Message != "":
		return libText(e.Message)
	}
	return libText("it does not answer user " + strconv.Itoa(userID))
}
