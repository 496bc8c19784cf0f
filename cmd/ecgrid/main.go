// Command ecgrid generates and reads ECGrid user API keys from the command
// line, over the REST API or the SOAP API (ECGridOS), says who a credential
// belongs to, moves a SOAP integration to REST, and ships a fake ECGrid
// server for trying things out.
//
// Usage:
//
//	ecgrid apikey generate -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR] [-yes]
//	ecgrid apikey get      -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR]
//	ecgrid whoami          [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR]
//	ecgrid migrate -out FILE [-soap-url URL] [-rest-url URL] [-soap-version 1.1|1.2] [-rotate] [-force] [-yes] [-timeout DUR]
//	ecgrid demo
//	ecgrid fake-server [-addr HOST:PORT] [-user ID=KEY[,LOGIN:PASSWORD] ...] [-admin ID ...] [-session-ttl DUR] [-self-key-read]
//	ecgrid help [COMMAND] | -h | --help
//	ecgrid version | -version | --version
//
// Flags may be written -flag or --flag. Help (-h, --help, help) goes to
// stdout with exit 0; a usage error goes to stderr with exit 2.
//
// "apikey generate" rotates the user's key (the previous key stops working at
// once) and prints the new key; "apikey get" prints the user's current key
// without changing it (the service lets only a NetworkAdmin or higher read a
// key, even its own). On success their stdout holds the key followed by a
// newline and nothing else.
//
// "whoami" prints who the credential belongs to as one JSON object and a
// newline: {"userId":N,"login":"…","networkId":N,"mailboxId":N,"authLevel":"…"}.
//
// "migrate" moves the integration of the credential's own user from SOAP to
// REST: it asks SOAP who the user is, reads the user's key over SOAP and
// reuses it (or generates a new one with -rotate, or when the user has none),
// writes the key to FILE (mode 0600, atomically; an existing FILE only with
// -force), checks that REST (GET /v2/users/me with the key) answers the same
// user, and logs out if it logged in. Its stdout stays empty: the key is only
// in FILE. stderr says what was done and the next step: use the key in FILE
// as ECGRID_API_KEY with the REST transport.
//
// Every other message goes to stderr, which never shows a key, a session ID
// or a password.
//
// Credentials are read from the environment only, never from flags:
//
//	ECGRID_API_KEY     an API key: sent as X-API-Key on REST, as SessionID on SOAP
//	ECGRID_SESSION_ID  an ECGridOS session ID: SOAP only
//	ECGRID_USERNAME    with ECGRID_PASSWORD: the command logs in, and logs out
//	ECGRID_PASSWORD    before it exits, also after a failure
//
// When several are set, one is used, the first of: on SOAP,
// ECGRID_SESSION_ID, ECGRID_API_KEY, the login; on REST, ECGRID_API_KEY, the
// login (ECGRID_SESSION_ID is ignored there). A login with only one of
// ECGRID_USERNAME and ECGRID_PASSWORD set is a usage error when it is the
// credential chosen.
//
// Commands that generate a key ("apikey generate", and "migrate" when it
// generates one) ask for confirmation (prompt on stderr, answer y or yes on
// stdin, one line of at most 64 bytes) only when stdin is a terminal. When
// stdin is not a terminal (a pipe, a file, /dev/null, /dev/zero) they refuse
// unless -yes is given, whatever stdin holds.
//
// Plain http:// URLs are accepted only for loopback hosts (localhost,
// 127.0.0.0/8, [::1]). -timeout (default 30s) bounds each network call of a
// command, retries and their waits included, and a login made for it: for
// "apikey" and "whoami" that is the whole network part; for "migrate", each
// of its steps (who-am-I, the read, the generation, the recovery read, the
// verification). It starts after the confirmation: the time spent at the
// prompt does not count. The logout at the end has its own bound of 10s.
// SIGINT and SIGTERM cancel a running call.
//
// "demo" walks through key rotation against an in-process fake server and
// needs neither network nor credentials. "fake-server" serves that fake on the
// given address until SIGINT or SIGTERM; it prints "rest-url: URL",
// "soap-url: URL", then one "user: id=ID level=LEVEL key=KEY [login=LOGIN]"
// line per seeded user on stdout (the fake's keys, which are not secret; a
// password is never printed).
//
// Exit codes:
//
//	0  success (also for help and version)
//	1  the command failed and nothing changed on the server: the old key
//	   certainly still works (every failure of "apikey get" and "whoami";
//	   a wrong password; a generation not confirmed; "migrate" refused to
//	   read the key without -rotate, or found FILE existing without -force)
//	2  usage error or invalid input, nothing was sent: bad flags, missing or
//	   out-of-range -user, an http:// URL to a host that is not loopback,
//	   missing credentials, an unknown command, a stray argument (also to
//	   "version"), a generation without -yes while stdin is not a terminal,
//	   a "migrate" -out FILE that can't be created (a directory, or in a
//	   missing or unwritable directory)
//	3  a generation's outcome is unknown ("apikey generate", "migrate"), or
//	   the new key was generated but could not be written (to stdout, or to
//	   FILE): the old key may no longer work. Read the current key with a
//	   NetworkAdmin's credential: ECGRID_API_KEY=<a NetworkAdmin's key>
//	   ecgrid apikey get -user ID
//	4  "migrate" only: a new key was generated and saved in FILE, but REST
//	   refused it (stderr says why)
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ecgridkit/ecgrid"
)

// Exit codes of the command.
const (
	exitOK         = 0 // success
	exitFailed     = 1 // failed; nothing changed on the server
	exitUsage      = 2 // usage error or invalid input; nothing was sent
	exitUnknown    = 3 // a generation's outcome is unknown, or the new key was lost
	exitUnverified = 4 // migrate: a new key is in FILE but REST refused it
)

const topUsage = `Usage:
  ecgrid apikey generate -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR] [-yes]
  ecgrid apikey get      -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR]
  ecgrid whoami          [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR]
  ecgrid migrate -out FILE [-soap-url URL] [-rest-url URL] [-soap-version 1.1|1.2] [-rotate] [-force] [-yes] [-timeout DUR]
  ecgrid demo
  ecgrid fake-server [-addr HOST:PORT] [-user ID=KEY[,LOGIN:PASSWORD] ...] [-admin ID ...] [-session-ttl DUR] [-self-key-read]
  ecgrid help [COMMAND]
  ecgrid version

  apikey generate  rotate a user's API key and print the new one (the old key stops working at once)
  apikey get       print a user's current API key (needs NetworkAdmin, even for one's own key)
  whoami           print who the credential belongs to, as one JSON object
  migrate          move your SOAP integration to REST: write your REST API key to FILE
  demo             walk through key rotation against an in-process fake server
  fake-server      serve a fake ECGrid for testing

Run "ecgrid <command> -h" for the flags of a command.

` + credentialHelp + `
-timeout DUR (default 30s) bounds each network call of a command, retries
included; it starts after the confirmation, if any. The logout at the end of
a command that logged in has its own bound of 10s.

Exit codes:
  0  success
  1  failed, and nothing changed on the server: the old key still works
  2  usage error or invalid input: nothing was sent
  3  a generation's outcome is unknown, or the new key could not be written:
     read the current key with a NetworkAdmin's credential:
     ECGRID_API_KEY=<a NetworkAdmin's key> ecgrid apikey get -user ID
  4  migrate: a new key was generated and saved in FILE, but REST refused it
`

const apikeyUsage = `Usage:
  ecgrid apikey generate -user ID [flags]   rotate the user's key and print the new one
  ecgrid apikey get      -user ID [flags]   print the user's current key

Run "ecgrid apikey generate -h" or "ecgrid apikey get -h" for the flags.
`

// cli is what a run of the command talks to: the process's files and
// environment in main, fakes in tests.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal says whether stdin is a terminal.
	isTerminal func() bool
	// netContext returns the context of a command's network work and a
	// function that releases it; main's is cancelled by SIGINT and SIGTERM.
	// It is called only once a command is about to talk to the network.
	netContext func() (context.Context, context.CancelFunc)
}

// main runs the command. SIGPIPE is ignored, so that a write to a closed
// stdout fails with EPIPE, which the commands report, instead of killing
// the process silently (Go lets SIGPIPE kill the process on a write to a
// broken pipe on fd 1 or 2 unless the program handles or ignores it).
func main() {
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(&cli{
		stdin:      os.Stdin,
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		getenv:     os.Getenv,
		isTerminal: stdinIsTerminal,
		netContext: func() (context.Context, context.CancelFunc) {
			return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		},
	}, os.Args[1:]))
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h", "help":
		return true
	}
	return false
}

// run is the whole command: it parses args, runs the chosen command and
// returns the exit code.
func run(c *cli, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, topUsage)
		return exitUsage
	}
	if isHelp(args[0]) {
		if args[0] == "help" && len(args) > 1 && !isHelp(args[1]) {
			return run(c, append(append([]string(nil), args[1:]...), "-h"))
		}
		fmt.Fprint(c.stdout, topUsage)
		return exitOK
	}
	switch args[0] {
	case "version", "-version", "--version":
		return c.runVersion(args[1:])
	case "apikey":
		return c.runAPIKey(args[1:])
	case "whoami":
		return c.runWhoAmI(args[1:])
	case "migrate":
		return c.runMigrate(args[1:])
	case "demo":
		return c.runDemo(args[1:])
	case "fake-server":
		return c.runFakeServer(args[1:])
	}
	fmt.Fprintf(c.stderr, "ecgrid: unknown command %q\n\n%s", args[0], topUsage)
	return exitUsage
}

// runVersion prints the version on stdout. Like every other command it
// refuses a stray argument (exit 2), and "-h" prints its usage.
func (c *cli) runVersion(args []string) int {
	switch {
	case len(args) > 0 && isHelp(args[0]):
		fmt.Fprint(c.stdout, "Usage: ecgrid version\n\nPrint the version of ecgrid on stdout.\n")
		return exitOK
	case len(args) > 0:
		fmt.Fprintf(c.stderr, "ecgrid version: unexpected argument %q\n", args[0])
		return exitUsage
	}
	if _, err := fmt.Fprintf(c.stdout, "ecgrid %s\n", ecgrid.Version); err != nil {
		fmt.Fprintf(c.stderr, "ecgrid version: writing to stdout: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// runAPIKey dispatches "apikey generate" and "apikey get".
func (c *cli) runAPIKey(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, "ecgrid apikey: missing subcommand\n\n"+apikeyUsage)
		return exitUsage
	}
	switch args[0] {
	case "generate":
		return c.runKeyCommand(true, args[1:])
	case "get":
		return c.runKeyCommand(false, args[1:])
	}
	if isHelp(args[0]) {
		fmt.Fprint(c.stdout, apikeyUsage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "ecgrid apikey: unknown subcommand %q\n\n%s", args[0], apikeyUsage)
	return exitUsage
}

// parseFlags parses args with fs, whose Usage must write to fs.Output(). It
// returns (code, true) when the command must stop: exitOK after help asked
// for explicitly (printed on stdout), exitUsage after a bad flag or a stray
// argument (the message and the usage on stderr).
func (c *cli) parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(c.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = buf.WriteTo(c.stdout)
		return exitOK, true
	case err != nil:
		_, _ = buf.WriteTo(c.stderr) // flag has written the error and the usage
		return exitUsage, true
	case fs.NArg() > 0:
		fmt.Fprintf(c.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return 0, false
}
