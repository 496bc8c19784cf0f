// Package coretest holds the checks every transport's answer classifier must
// pass, so the REST and SOAP fuzz targets assert one contract.
package coretest

import (
	"errors"
	"strings"
	"testing"

	"github.com/ecgridkit/ecgrid/internal/core"
)

// Want describes the call a classifier answered.
type Want struct {
	Op        string   // core.OpGenerateAPIKey or core.OpGetAPIKey
	Transport string   // core.TransportREST or core.TransportSOAP
	Status    int      // the HTTP status given to the classifier
	UserID    int      // the user ID given to the classifier
	Secrets   []string // secrets that must never appear in an error
}

var kinds = []error{
	core.ErrInvalidInput, core.ErrUnauthorized, core.ErrForbidden, core.ErrNotFound, core.ErrRateLimited,
	core.ErrUnavailable, core.ErrServer, core.ErrBadResponse, core.ErrRedirect,
}

// Check fails t unless the classifier's result obeys the shared contract:
// exactly one of key and err; err is a *core.Error naming the call, with one
// of the kinds, a valid outcome, an unknown outcome for ErrServer and
// ErrBadResponse, and no secret in its text; a key comes only with a 2xx,
// without surrounding white space, and is a valid secret. It returns the
// *core.Error (nil with a key) for the transport's own checks.
func Check(t testing.TB, key string, err error, w Want) *core.Error {
	t.Helper()
	if (key != "") == (err != nil) {
		t.Fatalf("want exactly one of key and error, got key %q, err %v", key, err)
	}
	if err == nil {
		if w.Status < 200 || w.Status > 299 {
			t.Fatalf("key %q returned for HTTP %d", key, w.Status)
		}
		if strings.TrimSpace(key) != key {
			t.Fatalf("key %q has leading or trailing white space", key)
		}
		if cerr := core.CheckSecret("key", key); cerr != nil {
			t.Fatalf("key %q returned: %v", key, cerr)
		}
		return nil
	}
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not a *core.Error: %v", err, err)
	}
	if !isKind(e.Kind) {
		t.Fatalf("Kind %v is not a core sentinel: %v", e.Kind, err)
	}
	if e.Outcome != core.OutcomeNotApplied && e.Outcome != core.OutcomeUnknown {
		t.Fatalf("Outcome %d is not valid: %v", e.Outcome, err)
	}
	if e.Op != w.Op || e.Transport != w.Transport || e.StatusCode != w.Status || e.UserID != w.UserID {
		t.Fatalf("Op/Transport/StatusCode/UserID = %q/%q/%d/%d, want %q/%q/%d/%d",
			e.Op, e.Transport, e.StatusCode, e.UserID, w.Op, w.Transport, w.Status, w.UserID)
	}
	if (e.Kind == core.ErrServer || e.Kind == core.ErrBadResponse) && e.Outcome != core.OutcomeUnknown {
		t.Fatalf("kind %v must have an unknown outcome: %v", e.Kind, err)
	}
	msg := err.Error()
	for _, s := range w.Secrets {
		if strings.Contains(msg, s) {
			t.Fatalf("the error leaks secret %q: %s", s, msg)
		}
	}
	return e
}

func isKind(k error) bool {
	for _, s := range kinds {
		if k == s {
			return true
		}
	}
	return false
}

// Status maps any fuzzed int onto an HTTP status code between 100 and 999.
func Status(status int) int {
	if status >= 100 && status <= 999 {
		return status
	}
	return 100 + int(uint(status)%900)
}
