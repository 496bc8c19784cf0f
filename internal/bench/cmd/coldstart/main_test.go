package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseInits(t *testing.T) {
	trace := "init internal/bytealg @0.006 ms, 0 ms clock, 0 bytes, 0 allocs\n" +
		"some other line\n" +
		"init github.com/go-resty/resty/v2 @1.301 ms, 0.087 ms clock, 24616 bytes, 105 allocs\n" +
		"init main @1.500 ms, 0.010 ms clock, 16 bytes, 1 allocs\n"
	rs, end := parseInits([]byte(trace))
	if len(rs) != 3 {
		t.Fatalf("got %d records, want 3: %+v", len(rs), rs)
	}
	if r := rs[1]; r.pkg != "github.com/go-resty/resty/v2" || r.at != 1.301 || r.clock != 0.087 || r.bytes != 24616 || r.allocs != 105 {
		t.Errorf("resty record: %+v", r)
	}
	if end != 1.51 {
		t.Errorf("end %v, want 1.51", end)
	}
}

func TestServe(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(serve))
	defer ts.Close()
	resp, err := http.Post(ts.URL+soapPath, "text/xml; charset=utf-8", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<GenerateAPIKeyResult>"+fixedKey+"</GenerateAPIKeyResult>") {
		t.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	resp, err = http.Get(ts.URL + soapPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET: HTTP %d, want 404", resp.StatusCode)
	}
}
