// This file implements "ecgrid fake-server", which serves the fake ECGrid
// server of package ecgridtest until SIGINT or SIGTERM.

package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// userSeeds collects repeated -user ID=KEY flags. Set never fails, so that
// the flag package never echoes a key in an error message; the problems are
// reported by check, without the keys.
type userSeeds struct {
	keys map[int]string
	errs []string
}

func (u *userSeeds) String() string { return "" } // never shows a key

func (u *userSeeds) Set(v string) error {
	idText, key, ok := strings.Cut(v, "=")
	id, err := parseSeedID(idText)
	switch {
	case !ok:
		u.errs = append(u.errs, "-user wants ID=KEY (the value has no '=')")
	case err != nil:
		u.errs = append(u.errs, "-user "+err.Error())
	case key == "" || strings.TrimSpace(key) != key || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		u.errs = append(u.errs, fmt.Sprintf("-user %d=…: the key is empty or contains white space or a control character", id))
	case u.keys[id] != "":
		u.errs = append(u.errs, fmt.Sprintf("-user %d is given more than once", id))
	default:
		if u.keys == nil {
			u.keys = make(map[int]string)
		}
		u.keys[id] = key
	}
	return nil
}

// check reports the problems Set found, and keys shared by two users.
func (u *userSeeds) check() error {
	errs := append([]string(nil), u.errs...)
	owner := make(map[string]int)
	for _, id := range u.ids() {
		if other, dup := owner[u.keys[id]]; dup {
			errs = append(errs, fmt.Sprintf("-user %d and -user %d have the same key", other, id))
		}
		owner[u.keys[id]] = id
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// ids returns the seeded user IDs in increasing order.
func (u *userSeeds) ids() []int {
	ids := make([]int, 0, len(u.keys))
	for id := range u.keys {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// adminIDs collects repeated -admin ID flags.
type adminIDs map[int]bool

func (a adminIDs) String() string { return "" }

func (a adminIDs) Set(v string) error {
	id, err := parseSeedID(v)
	if err != nil {
		return err
	}
	a[id] = true
	return nil
}

// parseSeedID reads a user ID in 1..ecgrid.MaxUserID.
func parseSeedID(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > ecgrid.MaxUserID {
		return 0, fmt.Errorf("%q is not a user ID: want an integer between 1 and %d", s, ecgrid.MaxUserID)
	}
	return int(n), nil
}

// runFakeServer serves ecgridtest's fake on -addr until ctx ends (SIGINT or
// SIGTERM), then stops it and returns 0. It prints "rest-url: URL" and
// "soap-url: URL" on stdout; user IDs, never keys, on stderr.
func (c *cli) runFakeServer(args []string) int {
	stdout, stderr := c.stdout, c.stderr
	var (
		users  userSeeds
		admins = adminIDs{}
		addr   string
	)
	fs := flag.NewFlagSet("ecgrid fake-server", flag.ContinueOnError)
	fs.StringVar(&addr, "addr", "127.0.0.1:0", "the `HOST:PORT` to listen on (port 0 picks a free port)")
	fs.Var(&users, "user", "seed user `ID=KEY` (repeatable); the operator knows KEY, it is never printed")
	fs.Var(admins, "admin", "make user `ID` a NetworkAdmin (repeatable); without -user ID=KEY it gets a random key that is never printed")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: ecgrid fake-server [-addr HOST:PORT] [-user ID=KEY ...] [-admin ID ...]\n\n"+
			"Serve a fake ECGrid (REST and SOAP) until SIGINT or SIGTERM. Prints \"rest-url: URL\" and\n"+
			"\"soap-url: URL\" on stdout. For testing only: it keeps everything in memory.\n\nFlags (-flag or --flag):\n")
		fs.PrintDefaults()
	}
	if code, stop := c.parseFlags(fs, args); stop {
		return code
	}
	if err := users.check(); err != nil {
		fmt.Fprintf(stderr, "ecgrid fake-server: %v\n", err)
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
	opts := []ecgridtest.Option{ecgridtest.WithAddr(addr)}
	seeded := map[int]bool{}
	for _, id := range users.ids() {
		opts = append(opts, ecgridtest.WithUser(ecgridtest.User{ID: id, Level: level(admins[id]), APIKey: users.keys[id]}))
		seeded[id] = true
	}
	for id := range admins {
		if !seeded[id] {
			opts = append(opts, ecgridtest.WithUser(ecgridtest.User{ID: id, Level: ecgridtest.AuthLevelNetworkAdmin}))
		}
	}
	s, err := ecgridtest.Start(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "ecgrid fake-server: %v\n", err)
		return exitFailed
	}
	defer s.Close()

	if _, err := fmt.Fprintf(stdout, "rest-url: %s\nsoap-url: %s\n", s.URL, s.SOAPURL); err != nil {
		fmt.Fprintf(stderr, "ecgrid fake-server: %v\n", err)
		return exitFailed
	}
	// os.Stdout is unbuffered: the two lines are out as soon as Fprintf returns.
	all := map[int]bool{}
	for id := range seeded {
		all[id] = true
	}
	for id := range admins {
		all[id] = true
	}
	ids := make([]int, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		note := ""
		if !seeded[id] {
			note = " (random key, not shown)"
		}
		fmt.Fprintf(stderr, "ecgrid fake-server: user %d, %s%s\n", id, level(admins[id]), note)
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
