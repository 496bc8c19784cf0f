package rest_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// truncated answers status with Retry-After: 60 and a body cut short of
// its Content-Length.
func truncated(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"success":false,`)
	}
}

// TestRetryAfterOfAnUnreadableAnswer: Retry-After counts for 429 and 503
// only, as Error.RetryAfter says, also when the answer could not be read.
func TestRetryAfterOfAnUnreadableAnswer(t *testing.T) {
	for status, want := range map[int]time.Duration{500: 0, 429: time.Minute, 503: time.Minute} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			s := newServer(t, truncated(status))
			_, err := newClient(t, s.URL).GenerateAPIKey(context.Background(), byKey, 42)
			e := asError(t, err)
			if e.StatusCode != status || e.Err == nil || e.RetryAfter != want {
				t.Fatalf("%+v; want HTTP %d, a read error, RetryAfter %v", *e, status, want)
			}
		})
	}
}
