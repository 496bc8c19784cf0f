// Command ecgrid generates and reads ECGrid user API keys from the command
// line, over the REST API or the SOAP API (ECGridOS), and ships a fake ECGrid
// server for trying things out.
//
// Usage:
//
//	ecgrid apikey generate -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR] [-yes]
//	ecgrid apikey get      -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR]
//	ecgrid demo
//	ecgrid fake-server [-addr HOST:PORT] [-user ID=KEY ...] [-admin ID ...]
//
// Flags may be written -flag or --flag. "apikey generate" rotates the user's
// key (the previous key stops working at once) and prints the new key;
// "apikey get" prints the user's current key without changing it. On success
// stdout holds the key followed by a newline and nothing else; every other
// message goes to stderr, which never shows a key or a session ID.
//
// Credentials are read from the environment only, never from flags:
//
//	ECGRID_API_KEY     an API key: sent as X-API-Key on REST, as SessionID on SOAP
//	ECGRID_SESSION_ID  an ECGridOS session ID: SOAP only, preferred over the API key
//
// "apikey generate" asks for confirmation (prompt on stderr, answer y or yes
// on stdin) when stdin is a terminal. When stdin is not a terminal it refuses
// unless -yes is given, whatever stdin holds.
//
// Plain http:// URLs are accepted only for loopback hosts (localhost,
// 127.0.0.0/8, [::1]). -timeout (default 30s) bounds the network part of the
// command, retries and their waits included; it starts after the confirmation.
// SIGINT and SIGTERM cancel a running call.
//
// "demo" walks through key rotation against an in-process fake server and
// needs neither network nor credentials. "fake-server" serves that fake on the
// given address until SIGINT or SIGTERM; it prints "rest-url: URL" and
// "soap-url: URL" on stdout.
//
// Exit codes:
//
//	0  success (also for -h/--help when help is asked for explicitly)
//	1  the call failed and the old key certainly still works (every failure of
//	   "apikey get", including a refused redirect)
//	2  usage error or invalid input, nothing was sent: bad flags, missing or
//	   out-of-range -user, an http:// URL to a host that is not loopback,
//	   missing credentials, an unknown command, generate not confirmed
//	3  "apikey generate" only: the outcome is unknown, the key may or may not
//	   have been rotated; run "ecgrid apikey get -user ID" with a credential
//	   that still works to read the current key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of the command.
const (
	exitOK      = 0 // success
	exitFailed  = 1 // the call failed; the old key certainly still works
	exitUsage   = 2 // usage error or invalid input; nothing was sent
	exitUnknown = 3 // generate's outcome is unknown
)

const topUsage = `Usage:
  ecgrid apikey generate -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR] [-yes]
  ecgrid apikey get      -user ID [-transport rest|soap] [-rest-url URL] [-soap-url URL] [-soap-version 1.1|1.2] [-timeout DUR]
  ecgrid demo
  ecgrid fake-server [-addr HOST:PORT] [-user ID=KEY ...] [-admin ID ...]

Run "ecgrid <command> -h" for the flags of a command.

Credentials come from the environment only:
  ECGRID_API_KEY     API key (REST X-API-Key; SOAP SessionID)
  ECGRID_SESSION_ID  ECGridOS session ID (SOAP only; preferred over the API key)

Exit codes:
  0  success
  1  the call failed; the old key certainly still works
  2  usage error or invalid input; nothing was sent
  3  generate only: outcome unknown; run "ecgrid apikey get -user ID" to read the current key
`

const apikeyUsage = `Usage:
  ecgrid apikey generate -user ID [flags]   rotate the user's key and print the new one
  ecgrid apikey get      -user ID [flags]   print the user's current key

Run "ecgrid apikey generate -h" or "ecgrid apikey get -h" for the flags.
`

// main runs the command with a context that SIGINT and SIGTERM cancel.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, stdinIsTerminal)
	stop()
	os.Exit(code)
}

// stdinIsTerminal reports whether stdin is a character device (a terminal;
// /dev/null is one too, and reading it gives no answer, which declines).
func stdinIsTerminal() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run is the whole command: it parses args, runs the chosen command and
// returns the exit code. stdin is read only for generate's confirmation, env
// supplies ECGRID_API_KEY and ECGRID_SESSION_ID, and isTerminal says whether
// stdin is a terminal.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string, isTerminal func() bool) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "--h", "help":
		fmt.Fprint(stderr, topUsage)
		return exitOK
	case "apikey":
		return runAPIKey(ctx, args[1:], stdin, stdout, stderr, env, isTerminal)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "fake-server":
		return runFakeServer(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "ecgrid: unknown command %q\n\n%s", args[0], topUsage)
	return exitUsage
}

// runAPIKey dispatches "apikey generate" and "apikey get".
func runAPIKey(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string, isTerminal func() bool) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "ecgrid apikey: missing subcommand\n\n"+apikeyUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "--h", "help":
		fmt.Fprint(stderr, apikeyUsage)
		return exitOK
	case "generate":
		return runKeyCommand(ctx, true, args[1:], stdin, stdout, stderr, env, isTerminal)
	case "get":
		return runKeyCommand(ctx, false, args[1:], stdin, stdout, stderr, env, isTerminal)
	}
	fmt.Fprintf(stderr, "ecgrid apikey: unknown subcommand %q\n\n%s", args[0], apikeyUsage)
	return exitUsage
}

// parseFlags parses args with fs, whose output must be stderr. It returns
// (code, true) when the command must stop: exitOK for explicit help,
// exitUsage for a bad flag or a stray argument.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true // flag has already printed the error and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return 0, false
}
