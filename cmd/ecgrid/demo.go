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
	s   *ecgridtest.Server
	out io.Writer
}

// transportSetup is one way to reach the fake: REST, SOAP 1.1 or SOAP 1.2.
type transportSetup struct {
	name string
	opts []ecgrid.Option
}

func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

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
// not behave as the demo expects.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "--h" {
			fmt.Fprint(stderr, "Usage: ecgrid demo\n\nWalk through key rotation against an in-process fake server (no network, no credentials).\n")
			return exitOK
		}
		fmt.Fprintf(stderr, "ecgrid demo: unexpected argument %q\nUsage: ecgrid demo\n", args[0])
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()

	s, err := ecgridtest.Start(
		ecgridtest.WithUser(ecgridtest.User{ID: 1, Level: ecgridtest.AuthLevelNetworkAdmin}),
		ecgridtest.WithUser(ecgridtest.User{ID: 42, Level: ecgridtest.AuthLevelUser}),
	)
	if err != nil {
		fmt.Fprintf(stderr, "ecgrid demo: starting the fake server: %v\n", err)
		return exitFailed
	}
	defer s.Close()
	d := &demo{s: s, out: stdout}
	if err := d.run(ctx); err != nil {
		fmt.Fprintf(stderr, "ecgrid demo: %v\n", err)
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
	d.printf("Seeded user 1 (NetworkAdmin, key %s) and user 42 (User, key %s).\n", mask(adminKey), mask(userKey))

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
// the old key rejected and the new one accepted. It returns the new key.
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

	_, err = c.Users().GetAPIKey(ctx, 42)
	if !errors.Is(err, ecgrid.ErrUnauthorized) {
		return "", fmt.Errorf("GetAPIKey with the old key over %s: want ErrUnauthorized, got %v", t.name, err)
	}
	d.printf("  GetAPIKey(42) with the old key %s -> rejected (errors.Is ErrUnauthorized):\n    %v\n", mask(oldKey), err)

	nc, err := d.client(t, newKey)
	if err != nil {
		return "", err
	}
	got, err := nc.Users().GetAPIKey(ctx, 42)
	if err != nil || got != newKey {
		return "", fmt.Errorf("GetAPIKey with the new key over %s: %v", t.name, err)
	}
	d.printf("  GetAPIKey(42) with the new key %s -> accepted, answers %s\n", mask(newKey), mask(got))
	return newKey, nil
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

	_, err = c.Users().GetAPIKey(ctx, 42)
	if !errors.Is(err, ecgrid.ErrUnauthorized) {
		return fmt.Errorf("GetAPIKey with the key from before the lost answer: want ErrUnauthorized, got %v", err)
	}
	d.printf("  GetAPIKey(42) with the old key %s -> rejected (errors.Is ErrUnauthorized): user 42 has locked itself out.\n", mask(userKey))

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

	rc, err := d.client(t, recovered)
	if err != nil {
		return err
	}
	got, err := rc.Users().GetAPIKey(ctx, 42)
	if err != nil || got != recovered {
		return fmt.Errorf("GetAPIKey with the recovered key: %v", err)
	}
	d.printf("  GetAPIKey(42) with the recovered key %s -> accepted: user 42 is back in.\n", mask(recovered))
	return nil
}
