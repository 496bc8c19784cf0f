// This file implements "ecgrid demo": a guided tour of key rotation against
// an in-process fake server, over REST, SOAP 1.1 and SOAP 1.2, ending with a
// lost answer and its recovery.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ecgridkit/ecgrid"
	"github.com/ecgridkit/ecgrid/ecgridtest"
)

// demoTimeout bounds the whole demo; it only talks to loopback.
const demoTimeout = 60 * time.Second

// mask shows the first 4 characters of a secret followed by "…": enough to
// tell keys apart, never the whole key.
func mask(s string) string {
	r := []rune(s)
	if len(r) <= 8 {
		return "****"
	}
	return string(r[:4]) + "…"
}

// demo holds the fake server and the writer the steps are narrated to.
type demo struct {
	s    *ecgridtest.Server
	out  io.Writer
	werr error // the first failed write to out
}

// transportSetup is one way to reach the fake: REST, SOAP 1.1 or SOAP 1.2.
type transportSetup struct {
	name string
	opts []ecgrid.Option
}

// printf narrates; after a failed write it writes nothing more, and run
// reports the failure.
func (d *demo) printf(format string, args ...any) {
	if d.werr == nil {
		if _, err := fmt.Fprintf(d.out, format, args...); err != nil {
			d.werr = fmt.Errorf("writing to stdout: %w", err)
		}
	}
}

// client returns a client using key over the given transport, without
// retries so that each step shows exactly one request.
func (d *demo) client(t transportSetup, key string) (*ecgrid.Client, error) {
	opts := append([]ecgrid.Option{
		ecgrid.WithRESTURL(d.s.URL),
		ecgrid.WithSOAPURL(d.s.SOAPURL),
		ecgrid.WithAPIKey(key),
		ecgrid.WithRetryPolicy(ecgrid.RetryPolicy{MaxAttempts: 1}),
		ecgrid.WithUserAgent("ecgrid-demo/" + ecgrid.Version),
	}, t.opts...)
	return ecgrid.New(opts...)
}

// runDemo runs the demo and returns 0, or 1 if the fake or the library did
// not behave as the demo expects, or stdout could not be written.
func (c *cli) runDemo(args []string) int {
	const usage = "Usage: ecgrid demo\n\nWalk through key rotation against an in-process fake server (no network, no credentials).\n"
	if len(args) > 0 {
		if isHelp(args[0]) && args[0] != "help" {
			fmt.Fprint(c.stdout, usage)
			return exitOK
		}
		fmt.Fprintf(c.stderr, "ecgrid demo: unexpected argument %q\n%s", args[0], usage)
		return exitUsage
	}
	ctx, stop := c.netContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()

	s, err := ecgridtest.Start(
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42, Level: ecgridtest.AuthLevelUser}),
	)
	if err != nil {
		fmt.Fprintf(c.stderr, "ecgrid demo: starting the fake server: %v\n", err)
		return exitFailed
	}
	defer s.Close()
	d := &demo{s: s, out: c.stdout}
	err = d.run(ctx)
	if err == nil {
		err = d.werr
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "ecgrid demo: %s\n", libMsg(err))
		return exitFailed
	}
	return exitOK
}

// run walks through the steps; it fails when something unexpected happens.
func (d *demo) run(ctx context.Context) error {
	adminKey, _ := d.s.Key(1)
	userKey, _ := d.s.Key(42)
	d.printf("ecgrid demo: key rotation against a fake ECGrid server (keys are shown masked).\n\n")
	d.printf("Started a fake ECGrid server:\n  REST %s\n  SOAP %s\n", d.s.URL, d.s.SOAPURL)
	d.printf("Seeded user 1 (NetworkAdmin, key %s) and user 42 (MailboxUser, key %s).\n", mask(adminKey), mask(userKey))

	setups := []transportSetup{
		{"REST", []ecgrid.Option{ecgrid.WithTransport(ecgrid.REST)}},
		{"SOAP 1.1", []ecgrid.Option{ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAP11)}},
		{"SOAP 1.2", []ecgrid.Option{ecgrid.WithTransport(ecgrid.SOAP), ecgrid.WithSOAPVersion(ecgrid.SOAP12)}},
	}
	for i, t := range setups {
		d.printf("\nStep %d: user 42 rotates its own key over %s.\n", i+1, t.name)
		newKey, err := d.rotate(ctx, t, userKey)
		if err != nil {
			return err
		}
		userKey = newKey
	}

	d.printf("\nStep %d: the answer to a rotation is lost (the server rotates the key, then drops the connection).\n", len(setups)+1)
	if err := d.lostAnswer(ctx, setups[0], userKey, adminKey); err != nil {
		return err
	}
	d.printf("\nDone: %d rotations of user 42's key.\n", d.s.Rotations(42))
	return nil
}

// rotate has the holder of oldKey rotate user 42's key over t, then shows
// the old key rejected and the new one accepted, by asking WhoAmI with each
// (reading a key, even one's own, needs NetworkAdmin). It returns the new
// key.
func (d *demo) rotate(ctx context.Context, t transportSetup, oldKey string) (string, error) {
	c, err := d.client(t, oldKey)
	if err != nil {
		return "", err
	}
	newKey, err := c.Users().GenerateAPIKey(ctx, 42)
	if err != nil {
		return "", fmt.Errorf("GenerateAPIKey over %s: %w", t.name, err)
	}
	d.printf("  GenerateAPIKey(42) with key %s -> new key %s\n", mask(oldKey), mask(newKey))
	if cur, _ := d.s.Key(42); cur != newKey {
		return "", errors.New("the server's current key is not the key returned")
	}
	if err := d.rejected(ctx, t, c, oldKey, "the old key"); err != nil {
		return "", err
	}
	if err := d.accepted(ctx, t, newKey, "the new key"); err != nil {
		return "", err
	}
	return newKey, nil
}

// rejected shows that c, which holds key, is refused by WhoAmI.
func (d *demo) rejected(ctx context.Context, t transportSetup, c *ecgrid.Client, key, what string) error {
	_, err := c.Sessions().WhoAmI(ctx)
	if !errors.Is(err, ecgrid.ErrUnauthorized) {
		return fmt.Errorf("WhoAmI with %s over %s: want ErrUnauthorized, got %v", what, t.name, err)
	}
	d.printf("  WhoAmI with %s %s -> rejected (errors.Is ErrUnauthorized):\n    %v\n", what, mask(key), err)
	return nil
}

// accepted shows that key is accepted by WhoAmI as user 42's.
func (d *demo) accepted(ctx context.Context, t transportSetup, key, what string) error {
	c, err := d.client(t, key)
	if err != nil {
		return err
	}
	id, err := c.Sessions().WhoAmI(ctx)
	if err != nil || id.UserID != 42 {
		return fmt.Errorf("WhoAmI with %s over %s: want user 42, got %d, %v", what, t.name, id.UserID, err)
	}
	d.printf("  WhoAmI with %s %s -> accepted: user %d (%s)\n", what, mask(key), id.UserID, id.AuthLevel)
	return nil
}

// lostAnswer injects a connection drop after the rotation, shows the
// outcome-unknown error and recovers the current key with the admin's key.
func (d *demo) lostAnswer(ctx context.Context, t transportSetup, userKey, adminKey string) error {
	d.s.Inject(ecgridtest.Fault{Drop: ecgridtest.DropAfterApply, Op: ecgridtest.OpGenerateAPIKey})
	c, err := d.client(t, userKey)
	if err != nil {
		return err
	}
	_, err = c.Users().GenerateAPIKey(ctx, 42)
	if !errors.Is(err, ecgrid.ErrOutcomeUnknown) {
		return fmt.Errorf("GenerateAPIKey with a lost answer: want ErrOutcomeUnknown, got %v", err)
	}
	d.printf("  GenerateAPIKey(42) with key %s over %s -> failed, errors.Is ErrOutcomeUnknown:\n    %v\n", mask(userKey), t.name, err)
	d.printf("  The caller can't tell whether the key changed. (It did: the server rotated it before dropping the connection.)\n")
	if err := d.rejected(ctx, t, c, userKey, "the key from before"); err != nil {
		return err
	}
	d.printf("  User 42 has locked itself out, and may not read its own key anyway (that needs NetworkAdmin).\n")

	admin, err := d.client(t, adminKey)
	if err != nil {
		return err
	}
	recovered, err := admin.Users().GetAPIKey(ctx, 42)
	if err != nil {
		return fmt.Errorf("recovering with the admin's key: %w", err)
	}
	d.printf("  Recovery: GetAPIKey(42) with the admin's key %s -> current key %s\n", mask(adminKey), mask(recovered))
	d.printf("  (From the command line: ECGRID_API_KEY=<admin key> ecgrid apikey get -user 42)\n")
	if err := d.accepted(ctx, t, recovered, "the recovered key"); err != nil {
		return err
	}
	d.printf("  User 42 is back in.\n")
	return nil
}
