// This file implements "ecgrid whoami".

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
)

// identityJSON is what whoami prints, in this field order.
type identityJSON struct {
	UserID    int    `json:"userId"`
	Login     string `json:"login"`
	NetworkID int    `json:"networkId"`
	MailboxID int    `json:"mailboxId"`
	AuthLevel string `json:"authLevel"`
}

// runWhoAmI runs "ecgrid whoami".
func (c *cli) runWhoAmI(args []string) int {
	var f netFlags
	fs := flag.NewFlagSet("ecgrid whoami", flag.ContinueOnError)
	f.add(fs, true)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, "Usage: ecgrid whoami [flags]\n\n"+
			"Print who the credential belongs to, as one JSON object and a newline:\n"+
			"  {\"userId\":N,\"login\":\"…\",\"networkId\":N,\"mailboxId\":N,\"authLevel\":\"…\"}\n\n"+
			"Flags (-flag or --flag):\n")
		fs.PrintDefaults()
		fmt.Fprint(w, "\n"+credentialHelp+
			"\nExit codes: 0 success (the JSON object on stdout), 1 the call failed, 2 usage error (nothing sent).\n")
	}
	if code, stop := c.parseFlags(fs, args); stop {
		return code
	}
	creds, out := c.credentials()
	name := fs.Name()
	sess, _, ok := openSession(out, name, &f, creds)
	if !ok {
		return exitUsage
	}
	defer sess.close(out, name)

	ctx, stop := c.netContext()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	id, err := sess.client.Sessions().WhoAmI(ctx)
	cancel()
	stop()
	if err != nil {
		out.printf("%s: %s\n", name, libMsg(err))
		return exitFailed
	}
	b, err := json.Marshal(identityJSON{
		UserID: id.UserID, Login: id.Login, NetworkID: id.NetworkID, MailboxID: id.MailboxID, AuthLevel: id.AuthLevel,
	})
	if err == nil {
		_, err = c.stdout.Write(append(b, '\n'))
	}
	if err != nil {
		out.printf("%s: writing to stdout: %s\n", name, err)
		return exitFailed
	}
	return exitOK
}
