// Command benchratio reads `go test -bench -benchmem` output of
// internal/bench and prints paired ratios: for every pair of benchmarks it
// divides run i of one by run i of the other, within the same round, and
// reports the median and the min–max of those per-round ratios for ns/op,
// B/op and allocs/op, checked against the project's targets.
//
//	go run ./internal/bench/cmd/benchratio [-md] raw.txt   (or stdin)
//
// The pairs are
//
//   - Benchmark<Case>/impl=sdk against every other Benchmark<Case>/impl=X of
//     the same case (hand, fast): "<Case> sdk÷X";
//   - the SDK's error paths against the same transport's success path:
//     REST401 ÷ REST, SOAP11Fault ÷ SOAP11, SOAP12Fault ÷ SOAP12 (impl=sdk).
//
// A round is one run of the test binary: each "goos:" header line that
// follows benchmark lines starts a new one (scripts/bench.sh runs the binary
// once per round, all benchmarks each time, so both sides of a pair see the
// same machine load). Within a round, the k-th result of a benchmark pairs
// with the k-th result of the other, so the output of a single
// `go test -count N` pairs too, though not interleaved. A round that lacks
// either side of a pair is left out of that pair.
//
// With -md it also prints the comparison as a markdown table, the one the
// README's Performance section shows.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// minRounds is the fewest paired rounds whose range benchratio trusts; with
// fewer it still prints, with a warning.
const minRounds = 8

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchratio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	md := fs.Bool("md", false, "also print the comparison as a markdown table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	in := stdin
	if fs.NArg() > 0 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, "benchratio:", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	d, err := parse(in)
	if err != nil {
		fmt.Fprintln(stderr, "benchratio:", err)
		return 2
	}
	if len(d.names) == 0 {
		fmt.Fprintln(stderr, "benchratio: no benchmark lines")
		return 2
	}
	report(stdout, d, *md)
	return 0
}

// line matches "BenchmarkREST/impl=sdk-2   1234   56789 ns/op ...".
var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// slot places one result: its round, and which result of its benchmark it
// is within the round (0 unless the round ran with -count > 1).
type slot struct{ round, rep int }

func (s slot) less(t slot) bool { return s.round < t.round || s.round == t.round && s.rep < t.rep }

// data is the parsed output: per benchmark, per slot, unit -> value.
type data struct {
	names []string // in order of first appearance
	runs  map[string]map[slot]map[string]float64
}

// parse reads benchmark output. Lines other than results and "goos:"
// headers are ignored.
func parse(r io.Reader) (*data, error) {
	d := &data{runs: map[string]map[slot]map[string]float64{}}
	round, benched := 0, false
	occ := map[string]int{} // results of each benchmark in this round
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "goos:") {
			if benched {
				round++
				benched = false
				clear(occ)
			}
			continue
		}
		m := line.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		name, f := m[1], strings.Fields(m[2])
		vals := map[string]float64{}
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				vals[f[i+1]] = v
			}
		}
		if d.runs[name] == nil {
			d.runs[name] = map[slot]map[string]float64{}
			d.names = append(d.names, name)
		}
		d.runs[name][slot{round, occ[name]}] = vals
		occ[name]++
		benched = true
	}
	return d, sc.Err()
}

// values returns name's values of unit in slot order.
func (d *data) values(name, unit string) []float64 {
	var v []float64
	for _, s := range d.slots(name) {
		if x, ok := d.runs[name][s][unit]; ok {
			v = append(v, x)
		}
	}
	return v
}

// slots returns the slots of name in order.
func (d *data) slots(name string) []slot {
	var ss []slot
	for s := range d.runs[name] {
		ss = append(ss, s)
	}
	slices.SortFunc(ss, func(a, b slot) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	return ss
}

// pair is a comparison of benchmark num against benchmark den.
type pair struct {
	label    string // e.g. "SOAP11 sdk÷fast"
	num, den string // full benchmark names
	kase     string // the case, e.g. "SOAP11" or "REST401"
	base     string // the denominator: an impl ("hand", "fast") or "success"
}

// errorPaths maps each error-path case to its transport's success case;
// both are compared through impl=sdk.
var errorPaths = []struct{ err, ok string }{
	{"REST401", "REST"},
	{"SOAP11Fault", "SOAP11"},
	{"SOAP12Fault", "SOAP12"},
}

// pairs lists the comparisons the data allows, in order of appearance.
func pairs(d *data) []pair {
	var ps []pair
	for _, name := range d.names {
		c, ok := strings.CutSuffix(name, "/impl=sdk")
		if !ok {
			continue
		}
		kase := strings.TrimPrefix(c, "Benchmark")
		for _, other := range d.names {
			impl, ok := strings.CutPrefix(other, c+"/impl=")
			if !ok || impl == "sdk" || strings.Contains(impl, "/") {
				continue
			}
			ps = append(ps, pair{label: kase + " sdk÷" + impl, num: name, den: other, kase: kase, base: impl})
		}
	}
	for _, e := range errorPaths {
		num, den := "Benchmark"+e.err+"/impl=sdk", "Benchmark"+e.ok+"/impl=sdk"
		if d.runs[num] != nil && d.runs[den] != nil {
			ps = append(ps, pair{label: e.err + "÷" + e.ok + " (sdk)", num: num, den: den, kase: e.err, base: "success"})
		}
	}
	return ps
}

// round holds one round's values of a pair.
type round struct {
	time, bytes, allocs float64 // ratios num/den
	dallocs             float64 // allocs num-den
	conns               float64 // num's conns, NaN when not reported
}

// paired returns the rounds in which both sides of p have results.
func paired(d *data, p pair) []round {
	var rs []round
	for _, s := range d.slots(p.num) {
		n, ok := d.runs[p.num][s]
		m, ok2 := d.runs[p.den][s]
		if !ok || !ok2 {
			continue
		}
		r := round{
			time:    ratio(n["ns/op"], m["ns/op"]),
			bytes:   ratio(n["B/op"], m["B/op"]),
			allocs:  ratio(n["allocs/op"], m["allocs/op"]),
			dallocs: n["allocs/op"] - m["allocs/op"],
			conns:   math.NaN(),
		}
		if c, ok := n["conns"]; ok {
			r.conns = c
		}
		rs = append(rs, r)
	}
	return rs
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// spread is the median and range of some values.
type spread struct{ med, min, max float64 }

func spreadOf(v []float64) spread {
	v = slices.DeleteFunc(slices.Clone(v), math.IsNaN)
	if len(v) == 0 {
		return spread{math.NaN(), math.NaN(), math.NaN()}
	}
	return spread{median(v), slices.Min(v), slices.Max(v)}
}

func (s spread) String() string { return s.format(2) }

// format prints the spread with the given decimals; allocation ratios take
// 3, since they barely vary and their targets are checked to the third.
func (s spread) format(decimals int) string {
	if math.IsNaN(s.med) {
		return "-"
	}
	return fmt.Sprintf("%.*f× [%.*f–%.*f]", decimals, s.med, decimals, s.min, decimals, s.max)
}

func pick(rs []round, f func(round) float64) []float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return v
}

// target is a pair's performance target; zero fields are not checked.
type target struct {
	desc           string
	maxTime        float64 // time ratio
	maxDAllocs     *float64
	maxAllocsRatio float64
	maxConns       float64 // conns of the SDK in every round
}

// targetOf returns the target of pair p, or false when it has none.
func targetOf(p pair) (target, bool) {
	f := func(x float64) *float64 { return &x }
	switch {
	case p.base == "success":
		return target{desc: "allocs ≤ 1.10× the success path", maxAllocsRatio: 1.10}, true
	case p.kase == "REST" && p.base == "hand":
		return target{desc: "time ≤ 1.20×, allocs ≤ +20", maxTime: 1.20, maxDAllocs: f(20)}, true
	case strings.HasPrefix(p.kase, "SOAP") && p.base == "hand":
		return target{desc: "time ≤ 1.00×, allocs ≤ +0", maxTime: 1.00, maxDAllocs: f(0)}, true
	case strings.HasPrefix(p.kase, "SOAP") && p.base == "fast":
		return target{desc: "time ≤ 1.05×", maxTime: 1.05}, true
	case p.kase == "Parallel" && p.base == "hand":
		return target{desc: "time ≤ 1.00×, ≤ 72 conns every round", maxTime: 1.00, maxConns: 72}, true
	}
	return target{}, false
}

// meets reports whether one round's (or the medians') values meet t.
func (t target) meets(time, allocsRatio, dallocs, conns float64) bool {
	ok := true
	if t.maxTime > 0 {
		ok = ok && time <= t.maxTime
	}
	if t.maxDAllocs != nil {
		ok = ok && dallocs <= *t.maxDAllocs
	}
	if t.maxAllocsRatio > 0 {
		ok = ok && allocsRatio <= t.maxAllocsRatio
	}
	if t.maxConns > 0 {
		ok = ok && !math.IsNaN(conns) && conns <= t.maxConns
	}
	return ok
}

// verdict checks p's rounds against its target: on the medians of the
// per-round values (and, for conns, on every round), and counts the rounds
// that meet it on their own.
func verdict(p pair, rs []round) string {
	t, ok := targetOf(p)
	if !ok || len(rs) == 0 {
		return ""
	}
	met := 0
	for _, r := range rs {
		if t.meets(r.time, r.allocs, r.dallocs, r.conns) {
			met++
		}
	}
	maxConns := slices.Max(pick(rs, func(r round) float64 { return r.conns }))
	ok = t.meets(spreadOf(pick(rs, func(r round) float64 { return r.time })).med,
		spreadOf(pick(rs, func(r round) float64 { return r.allocs })).med,
		median(pick(rs, func(r round) float64 { return r.dallocs })), maxConns)
	word := "met"
	if !ok {
		word = "NOT met"
	}
	return fmt.Sprintf("%s: %s (%d/%d rounds)", t.desc, word, met, len(rs))
}

func report(w io.Writer, d *data, md bool) {
	fmt.Fprintln(w, "Medians per benchmark:")
	fmt.Fprintf(w, "  %-32s %4s %12s %10s %10s %8s %8s\n", "benchmark", "n", "ns/op", "B/op", "allocs/op", "conns", "p50-ms")
	for _, name := range d.names {
		fmt.Fprintf(w, "  %-32s %4d %12.0f %10.0f %10.0f %8s %8s\n", name, len(d.runs[name]),
			median(d.values(name, "ns/op")), median(d.values(name, "B/op")), median(d.values(name, "allocs/op")),
			opt(d.values(name, "conns"), "%.0f"), opt(d.values(name, "p50-ms"), "%.1f"))
	}

	ps := pairs(d)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Paired ratios: run i of the first ÷ run i of the second, within one round;")
	fmt.Fprintln(w, "median [min–max] of the per-round ratios; the target is checked on the medians.")
	fmt.Fprintf(w, "  %-24s %3s %-20s %-20s %-27s %s\n", "pair", "n", "time", "B/op", "allocs/op", "target")
	few := false
	for _, p := range ps {
		rs := paired(d, p)
		few = few || len(rs) < minRounds
		allocs := spreadOf(pick(rs, func(r round) float64 { return r.allocs })).format(3)
		if len(rs) > 0 {
			allocs += fmt.Sprintf(" %+.0f", median(pick(rs, func(r round) float64 { return r.dallocs })))
		}
		fmt.Fprintf(w, "  %-24s %3d %-20s %-20s %-27s %s\n", p.label, len(rs),
			spreadOf(pick(rs, func(r round) float64 { return r.time })),
			spreadOf(pick(rs, func(r round) float64 { return r.bytes })),
			allocs, verdict(p, rs))
		if extra := connsAndLatency(d, p); extra != "" {
			fmt.Fprintf(w, "  %-24s %s\n", "", extra)
		}
	}
	if s, ok := d.runs["BenchmarkNew"]; ok && len(s) > 0 {
		ns := median(d.values("BenchmarkNew", "ns/op"))
		word := "met"
		if ns >= 50000 {
			word = "NOT met"
		}
		fmt.Fprintf(w, "  %-24s %3d %.1f µs/op, %.0f allocs/op; New < 50 µs: %s\n", "New", len(s), ns/1000,
			median(d.values("BenchmarkNew", "allocs/op")), word)
	}
	for _, o := range outliers(d) {
		fmt.Fprintf(w, "\nbenchratio: %s\n", o)
	}
	if few {
		fmt.Fprintf(w, "\nbenchratio: some pairs have fewer than %d paired rounds: their ranges say little.\n", minRounds)
	}
	if md {
		fmt.Fprintln(w)
		markdown(w, d, ps)
	}
}

// outlierFactor is how many times its benchmark's median a run's ns/op must
// be to be reported as a stall of the machine.
const outlierFactor = 5

// outliers describes the runs whose ns/op is far above their benchmark's
// median: the machine stalled in that round. They stay in the figures (the
// range shows them); the warning says where they come from.
func outliers(d *data) []string {
	var out []string
	for _, name := range d.names {
		med := median(d.values(name, "ns/op"))
		for _, s := range d.slots(name) {
			if v, ok := d.runs[name][s]["ns/op"]; ok && med > 0 && v > outlierFactor*med {
				out = append(out, fmt.Sprintf("round %d: %s took %.0f ns/op, %.0f× its median: the machine stalled; rerun for figures to publish",
					s.round+1, name, v, v/med))
			}
		}
	}
	return out
}

// connsAndLatency describes the connections and median latencies of both
// sides of p, when the benchmarks report them.
func connsAndLatency(d *data, p pair) string {
	var parts []string
	side := p.base
	if c := d.values(p.num, "conns"); len(c) > 0 {
		parts = append(parts, fmt.Sprintf("conns per run: sdk %.0f (max %.0f), %s %.0f (max %.0f)",
			median(c), slices.Max(c), side, median(d.values(p.den, "conns")), maxOr0(d.values(p.den, "conns"))))
	}
	if l := d.values(p.num, "p50-ms"); len(l) > 0 {
		rs := spreadOf(pairedUnit(d, p, "p50-ms"))
		parts = append(parts, fmt.Sprintf("p50 latency: sdk %.1f ms, %s %.1f ms, ratio %s",
			median(l), side, median(d.values(p.den, "p50-ms")), rs))
	}
	return strings.Join(parts, "; ")
}

// pairedUnit returns the per-round ratios of unit for p.
func pairedUnit(d *data, p pair, unit string) []float64 {
	var v []float64
	for _, s := range d.slots(p.num) {
		n, ok := d.runs[p.num][s][unit]
		m, ok2 := d.runs[p.den][s][unit]
		if ok && ok2 {
			v = append(v, ratio(n, m))
		}
	}
	return v
}

// markdown prints the comparison as a table for the README.
func markdown(w io.Writer, d *data, ps []pair) {
	fmt.Fprintln(w, "| comparison | baseline (median) | SDK (median) | time SDK ÷ baseline | allocs SDK ÷ baseline | B/op SDK ÷ baseline | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, p := range ps {
		rs := paired(d, p)
		if len(rs) == 0 {
			continue
		}
		base, sdk := describe(d, p.den), describe(d, p.num)
		allocs := spreadOf(pick(rs, func(r round) float64 { return r.allocs })).format(3) +
			fmt.Sprintf(" (%+.0f)", median(pick(rs, func(r round) float64 { return r.dallocs })))
		v := verdict(p, rs)
		if v == "" {
			v = "—"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", mdLabel(p), base, sdk,
			spreadOf(pick(rs, func(r round) float64 { return r.time })), allocs,
			spreadOf(pick(rs, func(r round) float64 { return r.bytes })), v)
	}
	if _, ok := d.runs["BenchmarkNew"]; ok {
		fmt.Fprintf(w, "| `New()` with defaults | | %s | | | | < 50 µs |\n", describe(d, "BenchmarkNew"))
	}
}

// mdLabel names a pair in words.
func mdLabel(p pair) string {
	names := map[string]string{
		"REST": "REST GenerateAPIKey", "SOAP11": "SOAP 1.1 GenerateAPIKey", "SOAP12": "SOAP 1.2 GenerateAPIKey",
		"Parallel": "64 goroutines, one client", "SlowServer": "512 goroutines, 20 ms server",
		"REST401": "REST 401 InvalidAPIKey", "SOAP11Fault": "SOAP 1.1 Client fault", "SOAP12Fault": "SOAP 1.2 Sender fault",
	}
	n := names[p.kase]
	if n == "" {
		n = p.kase
	}
	if p.base == "success" {
		return n + ": error ÷ success path (SDK)"
	}
	return n + ": SDK ÷ " + p.base
}

// describe summarises a benchmark's medians: time, allocs, and conns and
// p50 latency when reported.
func describe(d *data, name string) string {
	s := fmt.Sprintf("%s, %.0f allocs", micro(median(d.values(name, "ns/op"))), median(d.values(name, "allocs/op")))
	if c := d.values(name, "conns"); len(c) > 0 {
		s += fmt.Sprintf(", %.0f conns", median(c))
	}
	if l := d.values(name, "p50-ms"); len(l) > 0 {
		s += fmt.Sprintf(", p50 %.1f ms", median(l))
	}
	return s
}

func micro(ns float64) string {
	if ns >= 1e6 {
		return fmt.Sprintf("%.1f ms", ns/1e6)
	}
	return fmt.Sprintf("%.1f µs", ns/1e3)
}

func opt(v []float64, format string) string {
	if len(v) == 0 {
		return "-"
	}
	return fmt.Sprintf(format, median(v))
}

func maxOr0(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	n := len(s)
	return (s[n/2-1] + s[n/2]) / 2
}
