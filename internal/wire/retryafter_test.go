package wire

import (
	"net/http"
	"testing"
	"time"
)

// TestRetryAfterOnlyFor429And503: the header counts for the statuses that
// define it, and only for those.
func TestRetryAfterOnlyFor429And503(t *testing.T) {
	h := http.Header{"Retry-After": {"60"}}
	now := time.Now()
	for status, want := range map[int]time.Duration{429: time.Minute, 503: time.Minute, 500: 0, 200: 0, 301: 0} {
		if got := RetryAfter(status, h, now); got != want {
			t.Errorf("HTTP %d: %v, want %v", status, got, want)
		}
	}
	if got := RetryAfter(503, http.Header{}, now); got != 0 {
		t.Errorf("no header: %v", got)
	}
}
