package rest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: a
// connection the client never closed, a body never drained.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
