package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// sample is the output of three interleaved rounds of the test binary, as
// scripts/bench.sh collects it. Round 2 has no SOAP11/impl=fast result (a
// filtered or failed run): that pair must skip round 2, not shift its rounds.
const sample = `goos: linux
goarch: amd64
pkg: github.com/ecgridkit/ecgrid/internal/bench
cpu: AMD EPYC
BenchmarkREST/impl=hand-2         	   26587	     40000 ns/op	    8000 B/op	      85 allocs/op
BenchmarkREST/impl=sdk-2          	   28168	     48000 ns/op	    9600 B/op	     111 allocs/op
BenchmarkSOAP11/impl=hand-2       	   19113	     60000 ns/op	   20000 B/op	     169 allocs/op
BenchmarkSOAP11/impl=fast-2       	   21324	     50000 ns/op	    9000 B/op	     122 allocs/op
BenchmarkSOAP11/impl=sdk-2        	   22242	     51000 ns/op	    9900 B/op	     138 allocs/op
BenchmarkREST401/impl=sdk-2       	   24229	     44000 ns/op	    9500 B/op	     112 allocs/op
BenchmarkParallel/impl=hand-2     	   40000	     30000 ns/op	      9000 conns	   7000 B/op	     90 allocs/op
BenchmarkParallel/impl=sdk-2      	   40000	     27000 ns/op	        64.00 conns	   8000 B/op	     100 allocs/op
BenchmarkSlowServer/impl=hand-2   	   16539	     86000 ns/op	     13370 conns	        40.00 p50-ms	   18390 B/op	     136 allocs/op
BenchmarkSlowServer/impl=sdk-2    	    3498	    344000 ns/op	        64.00 conns	       160.0 p50-ms	   10079 B/op	     111 allocs/op
BenchmarkNew-2                    	  400000	      2800 ns/op	    3440 B/op	      30 allocs/op
PASS
goos: linux
goarch: amd64
pkg: github.com/ecgridkit/ecgrid/internal/bench
cpu: AMD EPYC
BenchmarkREST/impl=hand-2         	   26587	     80000 ns/op	    8000 B/op	      85 allocs/op
BenchmarkREST/impl=sdk-2          	   28168	     88000 ns/op	    9600 B/op	     111 allocs/op
BenchmarkSOAP11/impl=hand-2       	   19113	     90000 ns/op	   20000 B/op	     169 allocs/op
BenchmarkSOAP11/impl=sdk-2        	   22242	     99000 ns/op	    9900 B/op	     138 allocs/op
BenchmarkREST401/impl=sdk-2       	   24229	     44000 ns/op	    9500 B/op	     123 allocs/op
BenchmarkParallel/impl=hand-2     	   40000	     20000 ns/op	      8000 conns	   7000 B/op	     90 allocs/op
BenchmarkParallel/impl=sdk-2      	   40000	     30000 ns/op	        80.00 conns	   8000 B/op	     100 allocs/op
BenchmarkSlowServer/impl=hand-2   	   16539	     86000 ns/op	     13000 conns	        40.00 p50-ms	   18390 B/op	     136 allocs/op
BenchmarkSlowServer/impl=sdk-2    	    3498	    344000 ns/op	        64.00 conns	       200.0 p50-ms	   10079 B/op	     111 allocs/op
BenchmarkNew-2                    	  400000	      2900 ns/op	    3440 B/op	      30 allocs/op
PASS
goos: linux
goarch: amd64
pkg: github.com/ecgridkit/ecgrid/internal/bench
cpu: AMD EPYC
BenchmarkREST/impl=hand-2         	   26587	     50000 ns/op	    8000 B/op	      85 allocs/op
BenchmarkREST/impl=sdk-2          	   28168	     55000 ns/op	    9600 B/op	     111 allocs/op
BenchmarkSOAP11/impl=hand-2       	   19113	     60000 ns/op	   20000 B/op	     169 allocs/op
BenchmarkSOAP11/impl=fast-2       	   21324	    100000 ns/op	    9000 B/op	     122 allocs/op
BenchmarkSOAP11/impl=sdk-2        	   22242	     99000 ns/op	    9900 B/op	     138 allocs/op
BenchmarkREST401/impl=sdk-2       	   24229	     44000 ns/op	    9500 B/op	     111 allocs/op
BenchmarkParallel/impl=hand-2     	   40000	     30000 ns/op	      7000 conns	   7000 B/op	     90 allocs/op
BenchmarkParallel/impl=sdk-2      	   40000	     24000 ns/op	        64.00 conns	   8000 B/op	     100 allocs/op
BenchmarkSlowServer/impl=hand-2   	   16539	     86000 ns/op	     13000 conns	        50.00 p50-ms	   18390 B/op	     136 allocs/op
BenchmarkSlowServer/impl=sdk-2    	    3498	    344000 ns/op	        64.00 conns	       150.0 p50-ms	   10079 B/op	     111 allocs/op
BenchmarkNew-2                    	  400000	      3000 ns/op	    3440 B/op	      30 allocs/op
PASS
ok  	github.com/ecgridkit/ecgrid/internal/bench	1.234s
`

func mustParse(t *testing.T, s string) *data {
	t.Helper()
	d, err := parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func findPair(t *testing.T, d *data, label string) pair {
	t.Helper()
	for _, p := range pairs(d) {
		if p.label == label {
			return p
		}
	}
	t.Fatalf("no pair %q in %v", label, pairs(d))
	return pair{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestParse(t *testing.T) {
	d := mustParse(t, sample)
	want := []string{"BenchmarkREST/impl=hand", "BenchmarkREST/impl=sdk", "BenchmarkSOAP11/impl=hand",
		"BenchmarkSOAP11/impl=fast", "BenchmarkSOAP11/impl=sdk", "BenchmarkREST401/impl=sdk",
		"BenchmarkParallel/impl=hand", "BenchmarkParallel/impl=sdk", "BenchmarkSlowServer/impl=hand",
		"BenchmarkSlowServer/impl=sdk", "BenchmarkNew"}
	if strings.Join(d.names, ",") != strings.Join(want, ",") {
		t.Errorf("names:\n got %v\nwant %v", d.names, want)
	}
	if got := d.values("BenchmarkREST/impl=hand", "ns/op"); len(got) != 3 || got[0] != 40000 || got[1] != 80000 || got[2] != 50000 {
		t.Errorf("REST/impl=hand ns/op in round order: got %v", got)
	}
	if got := d.slots("BenchmarkSOAP11/impl=fast"); len(got) != 2 || got[0] != (slot{0, 0}) || got[1] != (slot{2, 0}) {
		t.Errorf("SOAP11/impl=fast slots: got %v, want rounds 0 and 2", got)
	}
	if got := d.values("BenchmarkSlowServer/impl=sdk", "p50-ms"); len(got) != 3 || got[1] != 200 {
		t.Errorf("custom metric p50-ms: got %v", got)
	}
	if got := d.values("BenchmarkParallel/impl=sdk", "conns"); len(got) != 3 || got[1] != 80 {
		t.Errorf("custom metric conns: got %v", got)
	}
}

func TestPairs(t *testing.T) {
	d := mustParse(t, sample)
	var labels []string
	for _, p := range pairs(d) {
		labels = append(labels, p.label)
	}
	want := "REST sdk÷hand,SOAP11 sdk÷hand,SOAP11 sdk÷fast,Parallel sdk÷hand,SlowServer sdk÷hand,REST401÷REST (sdk)"
	if got := strings.Join(labels, ","); got != want {
		t.Errorf("pairs:\n got %s\nwant %s", got, want)
	}
}

// TestPairedRatios proves the pairing: each ratio divides values of the same
// round, so the median of the per-round ratios differs from the ratio of
// the medians.
func TestPairedRatios(t *testing.T) {
	d := mustParse(t, sample)

	// REST: per round 48/40=1.2, 88/80=1.1, 55/50=1.1.
	rs := paired(d, findPair(t, d, "REST sdk÷hand"))
	if len(rs) != 3 {
		t.Fatalf("REST: %d paired rounds, want 3", len(rs))
	}
	for i, want := range []float64{1.2, 1.1, 1.1} {
		if !near(rs[i].time, want) {
			t.Errorf("REST round %d: time ratio %v, want %v", i, rs[i].time, want)
		}
	}
	s := spreadOf(pick(rs, func(r round) float64 { return r.time }))
	if !near(s.med, 1.1) || !near(s.min, 1.1) || !near(s.max, 1.2) {
		t.Errorf("REST time spread %+v, want median 1.1 in [1.1, 1.2]", s)
	}
	// The ratio of the medians would be 55000/50000 = 1.1 as well; SOAP11
	// shows the difference.
	if !near(rs[0].allocs, 111.0/85) || !near(rs[0].dallocs, 26) || !near(rs[0].bytes, 1.2) {
		t.Errorf("REST round 0: allocs %v (%+v), B/op %v", rs[0].allocs, rs[0].dallocs, rs[0].bytes)
	}

	// SOAP11 sdk÷fast: rounds 0 and 2 only: 51/50=1.02 and 99/100=0.99.
	// Pairing by position would have divided round 1's 99000 by round 2's
	// 100000; the ratio of medians would be 99000/75000 = 1.32.
	rs = paired(d, findPair(t, d, "SOAP11 sdk÷fast"))
	if len(rs) != 2 || !near(rs[0].time, 1.02) || !near(rs[1].time, 0.99) {
		t.Fatalf("SOAP11 sdk÷fast: got %+v, want time ratios 1.02 and 0.99", rs)
	}
	if s := spreadOf(pick(rs, func(r round) float64 { return r.time })); !near(s.med, 1.005) {
		t.Errorf("SOAP11 sdk÷fast median %v, want 1.005", s.med)
	}

	// Error path ÷ success path, both impl=sdk: allocs 112/111, 123/111, 111/111.
	rs = paired(d, findPair(t, d, "REST401÷REST (sdk)"))
	if s := spreadOf(pick(rs, func(r round) float64 { return r.allocs })); !near(s.med, 112.0/111) || !near(s.max, 123.0/111) || !near(s.min, 1) {
		t.Errorf("REST401÷REST allocs spread %+v", s)
	}
}

func TestVerdicts(t *testing.T) {
	d := mustParse(t, sample)
	for label, want := range map[string]string{
		"REST sdk÷hand":      "time ≤ 1.20×, allocs ≤ +20: NOT met (0/3 rounds)", // +26 allocs in every round
		"SOAP11 sdk÷hand":    "time ≤ 1.00×, allocs ≤ +0: NOT met (1/3 rounds)",
		"SOAP11 sdk÷fast":    "time ≤ 1.05×: met (2/2 rounds)",
		"REST401÷REST (sdk)": "allocs ≤ 1.10× the success path: met (2/3 rounds)",
		// Medians: time 0.9, but round 1 had 80 conns: the conns cap holds in every round or not at all.
		"Parallel sdk÷hand":   "time ≤ 1.00×, ≤ 72 conns every round: NOT met (2/3 rounds)",
		"SlowServer sdk÷hand": "",
	} {
		p := findPair(t, d, label)
		if got := verdict(p, paired(d, p)); got != want {
			t.Errorf("%s:\n got %q\nwant %q", label, got, want)
		}
	}
}

// TestCountOutput pairs the output of one `go test -count 2` run (one
// header, each benchmark twice in a row) by position within the round.
func TestCountOutput(t *testing.T) {
	d := mustParse(t, `goos: linux
BenchmarkSOAP12/impl=fast-2   100   100 ns/op   10 B/op   2 allocs/op
BenchmarkSOAP12/impl=fast-2   100   200 ns/op   10 B/op   2 allocs/op
BenchmarkSOAP12/impl=sdk-2    100   110 ns/op   10 B/op   3 allocs/op
BenchmarkSOAP12/impl=sdk-2    100   180 ns/op   10 B/op   3 allocs/op
`)
	rs := paired(d, findPair(t, d, "SOAP12 sdk÷fast"))
	if len(rs) != 2 || !near(rs[0].time, 1.1) || !near(rs[1].time, 0.9) || !near(rs[0].allocs, 1.5) {
		t.Errorf("got %+v, want time ratios 1.1 and 0.9, allocs 1.5", rs)
	}
}

func TestReport(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-md"}, strings.NewReader(sample), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{
		"REST sdk÷hand              3 1.10× [1.10–1.20]",
		"SOAP11 sdk÷fast            2 1.00× [0.99–1.02]",
		"conns per run: sdk 64 (max 80), hand 8000 (max 9000)",
		"p50 latency: sdk 160.0 ms, hand 40.0 ms, ratio 4.00× [3.00–5.00]",
		"New < 50 µs: met",
		"fewer than 8 paired rounds",
		"| REST GenerateAPIKey: SDK ÷ hand | 50.0 µs, 85 allocs | 55.0 µs, 111 allocs | 1.10× [1.10–1.20] | 1.306× [1.306–1.306] (+26) |",
		"| 512 goroutines, 20 ms server: SDK ÷ hand | 86.0 µs, 136 allocs, 13000 conns, p50 40.0 ms | 344.0 µs, 111 allocs, 64 conns, p50 160.0 ms | 4.00× [4.00–4.00] |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "stalled") {
		t.Errorf("the sample has no stalled run:\n%s", out.String())
	}
	stalled := strings.Replace(sample, "88000 ns/op", "880000 ns/op", 1)
	out.Reset()
	if code := run(nil, strings.NewReader(stalled), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if want := "round 2: BenchmarkREST/impl=sdk took 880000 ns/op, 16× its median: the machine stalled"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
	if code := run(nil, strings.NewReader("PASS\n"), &out, &errs); code != 2 {
		t.Errorf("no benchmark lines: exit %d, want 2", code)
	}
}
