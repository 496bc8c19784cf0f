package rest_test

import (
	"os"
	"testing"
)

// knownBug skips a test that fails for a bug of the transport that is
// reported but not yet fixed, so that the suite keeps passing; with
// ECGRID_BUGS=1 it lets the test fail.
func knownBug(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("ECGRID_BUGS") == "" {
		t.Skip("BUG: " + msg)
	}
}
