// This file implements "ecgrid fake-server", which serves the fake ECGrid
// server of package ecgridtest until SIGINT or SIGTERM, for tests of programs
// in any language.

package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// seed is one -user flag: a user's key and, optionally, its login and password.
type seed struct {
	key, login, password string
}

// userSeeds collects repeated -user ID=KEY[,LOGIN:PASSWORD] flags. Set never
// fails, so that the flag package never echoes a key or a password in an error
// message; the problems are reported by check, without the secrets.
type userSeeds struct {
	seeds map[int]seed
	errs  []string
}

func (u *userSeeds) String() string { return "" } // never shows a key

func (u *userSeeds) Set(v string) error {
	idText, rest, ok := strings.Cut(v, "=")
	id, err := parseID(idText)
	if !ok {
		u.errs = append(u.errs, "-user wants ID=KEY or ID=KEY,LOGIN:PASSWORD (the value has no '=')")
		return nil
	}
	if err != nil {
		u.errs = append(u.errs, "-user "+err.Error())
		return nil
	}
	key, account, hasAccount := strings.Cut(rest, ",")
	login, password, hasColon := strings.Cut(account, ":")
	switch {
	case key == "" || strings.TrimSpace(key) != key || strings.ContainsFunc(key, isSpaceOrControl):
		u.errs = append(u.errs, fmt.Sprintf("-user %d=…: the key is empty or contains white space or a control character", id))
	case hasAccount && !hasColon:
		u.errs = append(u.errs, fmt.Sprintf("-user %d=…,…: want LOGIN:PASSWORD after the comma", id))
	case hasAccount && (login == "" || strings.ContainsFunc(login, isSpaceOrControl)):
		u.errs = append(u.errs, fmt.Sprintf("-user %d=…,…: the login is empty or contains white space or a control character", id))
	case hasAccount && (password == "" || strings.ContainsFunc(password, unicode.IsControl)):
		u.errs = append(u.errs, fmt.Sprintf("-user %d=…,…: the password is empty or contains a control character", id))
	default:
		if _, dup := u.seeds[id]; dup {
			u.errs = append(u.errs, fmt.Sprintf("-user %d is given more than once", id))
			return nil
		}
		if u.seeds == nil {
			u.seeds = make(map[int]seed)
		}
		u.seeds[id] = seed{key: key, login: login, password: password}
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// problems returns the problems Set found, and keys or logins shared by two
// users.
func (u *userSeeds) problems() []string {
	errs := append([]string(nil), u.errs...)
	keyOwner := make(map[string]int)
	loginOwner := make(map[string]int)
	for _, id := range u.ids() {
		sd := u.seeds[id]
		if other, dup := keyOwner[sd.key]; dup {
			errs = append(errs, fmt.Sprintf("-user %d and -user %d have the same key", other, id))
		}
		keyOwner[sd.key] = id
		if sd.login == "" {
			continue
		}
		if other, dup := loginOwner[strings.ToLower(sd.login)]; dup {
			errs = append(errs, fmt.Sprintf("-user %d and -user %d have the same login", other, id))
		}
		loginOwner[strings.ToLower(sd.login)] = id
	}
	return errs
}

// ids returns the seeded user IDs in increasing order.
func (u *userSeeds) ids() []int {
	ids := make([]int, 0, len(u.seeds))
	for id := range u.seeds {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// adminIDs collects repeated -admin ID flags. Like userSeeds.Set, Set never
// fails: runFakeServer reports a bad ID in its own words, not the flag
// package with the whole usage.
type adminIDs struct {
	ids  map[int]bool
	errs []string
}

func (a *adminIDs) String() string { return "" }

func (a *adminIDs) Set(v string) error {
	id, err := parseID(v)
	if err != nil {
		a.errs = append(a.errs, "-admin "+err.Error())
		return nil
	}
	if a.ids == nil {
		a.ids = make(map[int]bool)
	}
	a.ids[id] = true
	return nil
}

// runFakeServer serves ecgridtest's fake on -addr until ctx ends (SIGINT or
// SIGTERM), then stops it and returns 0. On stdout it prints "rest-url: URL",
// "soap-url: URL", then one "user: id=ID level=LEVEL key=KEY [login=LOGIN]" line
// per seeded user (the keys are the fake's, so a program in another language can
// use them; a password is never printed). Progress goes to stderr.
func (c *cli) runFakeServer(args []string) int {
	stdout, stderr := c.stdout, c.stderr
	var (
		users       userSeeds
		admins      adminIDs
		addr        string
		sessionTTL  time.Duration
		selfKeyRead bool
	)
	fs := flag.NewFlagSet("ecgrid fake-server", flag.ContinueOnError)
	fs.StringVar(&addr, "addr", "127.0.0.1:0", "the `HOST:PORT` to listen on (port 0 picks a free port)")
	fs.Var(&users, "user", "seed user `ID=KEY[,LOGIN:PASSWORD]` (repeatable); with LOGIN:PASSWORD it can log in (the password is never printed)")
	fs.Var(&admins, "admin", "make user `ID` a NetworkAdmin (repeatable); without -user ID=… it gets a random key, printed on stdout")
	fs.DurationVar(&sessionTTL, "session-ttl", 0, "how long sessions last, a `DUR` such as 30s (default 20m): REST tokens expire that long after issue, SOAP sessions that long after last use")
	fs.BoolVar(&selfKeyRead, "self-key-read", false, "let a user read its own key (by default reading a key needs NetworkAdmin, as the vendor's REST reference says)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: ecgrid fake-server [-addr HOST:PORT] [-user ID=KEY[,LOGIN:PASSWORD] ...] [-admin ID ...]\n"+
			"                          [-session-ttl DUR] [-self-key-read]\n\n"+
			"Serve a fake ECGrid (REST and SOAP) until SIGINT or SIGTERM. Prints \"rest-url: URL\",\n"+
			"\"soap-url: URL\", then one \"user: id=ID level=LEVEL key=KEY [login=LOGIN]\" line per user on\n"+
			"stdout. For testing only: it keeps everything in memory, and its keys are not secret.\n\nFlags (-flag or --flag):\n")
		fs.PrintDefaults()
	}
	if code, stop := c.parseFlags(fs, args); stop {
		return code
	}
	if problems := append(users.problems(), admins.errs...); len(problems) > 0 {
		fmt.Fprintf(stderr, "ecgrid fake-server: %s\n", strings.Join(problems, "; "))
		return exitUsage
	}
	if sessionTTL < 0 {
		fmt.Fprintf(stderr, "ecgrid fake-server: -session-ttl %s: want a positive duration\n", sessionTTL)
		return exitUsage
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "ecgrid fake-server: -addr %q: %v\n", addr, err)
		return exitUsage
	}
	if !isLoopbackHost(host) {
		fmt.Fprintf(stderr, "ecgrid fake-server: warning: listening on %q, which is not loopback: other hosts can reach this fake, and its clients send keys over plain http\n", addr)
	}

	ctx, stop := c.netContext()
	defer stop()
	opts := []ecgridtest.Option{ecgridtest.WithAddr(addr), ecgridtest.WithSessionTTL(sessionTTL)}
	if selfKeyRead {
		opts = append(opts, ecgridtest.WithSelfKeyRead())
	}
	// Every user, seeded with -user or only named by -admin (which gets a
	// random key), in increasing ID order.
	ids := users.ids()
	for id := range admins.ids {
		if _, seeded := users.seeds[id]; !seeded {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	for _, id := range ids {
		sd := users.seeds[id]
		opts = append(opts, ecgridtest.WithUser(ecgridtest.User{ID: id, Level: level(admins.ids[id]), APIKey: sd.key, Login: sd.login, Password: sd.password}))
	}
	s, err := ecgridtest.Start(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "ecgrid fake-server: %v\n", err)
		return exitFailed
	}
	defer s.Close()

	var out strings.Builder
	fmt.Fprintf(&out, "rest-url: %s\nsoap-url: %s\n", s.URL, s.SOAPURL)
	for _, id := range ids {
		key, _ := s.Key(id)
		fmt.Fprintf(&out, "user: id=%d level=%s key=%s", id, level(admins.ids[id]), key)
		if login := users.seeds[id].login; login != "" {
			fmt.Fprintf(&out, " login=%s", login)
		}
		out.WriteString("\n")
	}
	// One write: os.Stdout is unbuffered, so the lines are out as soon as it returns.
	if _, err := io.WriteString(stdout, out.String()); err != nil {
		fmt.Fprintf(stderr, "ecgrid fake-server: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stderr, "ecgrid fake-server: serving; stop with SIGINT or SIGTERM")

	<-ctx.Done()
	s.Close()
	fmt.Fprintln(stderr, "ecgrid fake-server: stopped")
	return exitOK
}

// level returns the fake's AuthLevel for an admin flag.
func level(admin bool) ecgridtest.AuthLevel {
	if admin {
		return ecgridtest.AuthLevelNetworkAdmin
	}
	return ecgridtest.AuthLevelUser
}

// isLoopbackHost reports whether host is localhost, 127.0.0.0/8 or ::1,
// without any lookup. The empty host (all interfaces) is not loopback.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
