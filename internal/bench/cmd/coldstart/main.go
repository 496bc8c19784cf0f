// Command coldstart times, from process start to exit, one SOAP 1.1
// GenerateAPIKey call by the CLI (`ecgrid apikey generate -transport soap`)
// and by the minimal hand-written program internal/bench/cmd/coldsoap,
// against one loopback server it runs itself, which answers every SOAP call
// with the same fixed key (nothing rotates, so every run succeeds). It is
// what scripts/coldstart.sh builds and runs.
//
//	coldstart -minimal ./coldsoap -cli ./ecgrid [-runs 30] [-warmup 2] [-inittrace 5]
//
// After the warm-up runs of each, the programs run interleaved (minimal,
// CLI, minimal, CLI, ...); each output must be the key and a newline, with
// exit status 0. It prints both medians, the median and min–max of the
// per-pair ratios CLI ÷ minimal, and the goal (≤ 1.15×). Then it runs each
// program -inittrace times with GODEBUG=inittrace=1 and lists the package
// initialisations that cost the most, and the time at which the last one
// ended (about when main starts).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	session  = "coldstart-session-0123456789abcdef" // any session: the server takes every one
	fixedKey = "f9e8d7c6-b5a4-3210-fedc-ba9876543210"
	soapPath = "/v4.1/prod/ECGridOS.asmx"
	goal     = 1.15
)

var answer = []byte(`<?xml version="1.0" encoding="utf-8"?>` +
	`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
	`<soap:Body><GenerateAPIKeyResponse xmlns="https://os.ecgrid.io/"><GenerateAPIKeyResult>` + fixedKey +
	`</GenerateAPIKeyResult></GenerateAPIKeyResponse></soap:Body></soap:Envelope>`)

func main() {
	minimal := flag.String("minimal", "", "the minimal program (internal/bench/cmd/coldsoap), built")
	cli := flag.String("cli", "", "the CLI (cmd/ecgrid), built")
	runs := flag.Int("runs", 30, "timed runs of each program, at least 20")
	warmup := flag.Int("warmup", 2, "untimed runs of each program first")
	traces := flag.Int("inittrace", 5, "runs of each program with GODEBUG=inittrace=1 (0: none)")
	flag.Parse()
	if *minimal == "" || *cli == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: coldstart -minimal PATH -cli PATH [-runs N] [-warmup N] [-inittrace N]")
		os.Exit(2)
	}
	if *runs < 20 {
		fmt.Fprintf(os.Stderr, "coldstart: -runs %d: want at least 20\n", *runs)
		os.Exit(2)
	}
	if err := run(*minimal, *cli, *runs, *warmup, *traces); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(minimalPath, cliPath string, runs, warmup, traces int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(serve)}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + soapPath

	stdin, err := emptyStdin()
	if err != nil {
		return err
	}
	defer stdin.Close()
	minimal := program{name: "minimal", path: minimalPath, args: []string{"-url", url, "-user", "42"}, stdin: stdin}
	cli := program{name: "CLI", path: cliPath, stdin: stdin,
		args: []string{"apikey", "generate", "-user", "42", "-transport", "soap", "-soap-url", url, "-yes"}}

	for range warmup {
		for _, p := range []*program{&minimal, &cli} {
			if _, err := p.time(nil); err != nil {
				return err
			}
		}
	}
	var tm, tc, ratios []float64
	for range runs {
		dm, err := minimal.time(nil)
		if err != nil {
			return err
		}
		dc, err := cli.time(nil)
		if err != nil {
			return err
		}
		tm, tc = append(tm, ms(dm)), append(tc, ms(dc))
		ratios = append(ratios, float64(dc)/float64(dm))
	}

	fmt.Printf("%d interleaved runs of each (minimal, CLI, minimal, ...) after %d warm-up runs each,\n", runs, warmup)
	fmt.Printf("from process start to exit, against one loopback server (%s)\n", url)
	for _, r := range []struct {
		p *program
		t []float64
	}{{&minimal, tm}, {&cli, tc}} {
		fmt.Printf("  %-8s median %6.2f ms  [%.2f–%.2f ms]  binary %.1f MB  (%s)\n", r.p.name, median(r.t),
			slices.Min(r.t), slices.Max(r.t), size(r.p.path), r.p.path)
	}
	verdict := "met"
	if median(ratios) > goal {
		verdict = "NOT met"
	}
	fmt.Printf("  CLI ÷ minimal, per pair: median %.2f× [%.2f–%.2f]; goal ≤ %.2f×: %s\n",
		median(ratios), slices.Min(ratios), slices.Max(ratios), goal, verdict)

	if traces > 0 {
		fmt.Printf("\nPackage initialisation (GODEBUG=inittrace=1, median of %d runs of each):\n", traces)
		mi, err := minimal.inits(traces)
		if err != nil {
			return err
		}
		ci, err := cli.inits(traces)
		if err != nil {
			return err
		}
		mi.print("minimal", nil, 5)
		ci.print("CLI", mi, 15)
	}
	return nil
}

// serve answers every SOAP POST with the fixed key, after reading the request.
func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != soapPath {
		http.NotFound(w, r)
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(answer)
}

// emptyStdin returns the read end of a pipe whose write end is closed: not
// a terminal, and empty.
func emptyStdin() (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return r, w.Close()
}

type program struct {
	name, path string
	args       []string
	stdin      *os.File
}

// time runs the program once with extra environment variables, checks its
// output and returns how long it took from start to exit.
func (p *program) time(extraEnv []string) (time.Duration, error) {
	d, _, err := p.run(extraEnv)
	return d, err
}

func (p *program) run(extraEnv []string) (time.Duration, []byte, error) {
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = append(environ(), extraEnv...)
	cmd.Stdin = p.stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	switch {
	case err != nil:
		return 0, nil, fmt.Errorf("%s: %v: %s", p.name, err, stderr.Bytes())
	case stdout.String() != fixedKey+"\n":
		return 0, nil, fmt.Errorf("%s: stdout %q, want the key and a newline; stderr: %s", p.name, stdout.Bytes(), stderr.Bytes())
	}
	return d, stderr.Bytes(), nil
}

// environ is this process's environment without ECGRID_* and GODEBUG, plus
// the session.
func environ() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "ECGRID_") || strings.HasPrefix(kv, "GODEBUG=")
	})
	return append(env, "ECGRID_SESSION_ID="+session)
}

// initLine matches "init net/http @1.2 ms, 0.31 ms clock, 12345 bytes, 67 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs`)

// initStats are the medians over several runs of each package's init.
type initStats struct {
	clock, bytes, allocs map[string]float64
	end                  float64 // when the last init ended, ms after start
}

// inits runs the program n times with GODEBUG=inittrace=1.
func (p *program) inits(n int) (*initStats, error) {
	clock, bytes, allocs := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	var ends []float64
	for range n {
		_, trace, err := p.run([]string{"GODEBUG=inittrace=1"})
		if err != nil {
			return nil, err
		}
		inits, end := parseInits(trace)
		for _, in := range inits {
			clock[in.pkg] = append(clock[in.pkg], in.clock)
			bytes[in.pkg] = append(bytes[in.pkg], in.bytes)
			allocs[in.pkg] = append(allocs[in.pkg], in.allocs)
		}
		ends = append(ends, end)
	}
	s := &initStats{clock: map[string]float64{}, bytes: map[string]float64{}, allocs: map[string]float64{}, end: median(ends)}
	for pkg := range clock {
		s.clock[pkg], s.bytes[pkg], s.allocs[pkg] = median(clock[pkg]), median(bytes[pkg]), median(allocs[pkg])
	}
	return s, nil
}

// initRecord is one line of GODEBUG=inittrace=1.
type initRecord struct {
	pkg           string
	at, clock     float64 // ms
	bytes, allocs float64
}

// parseInits reads the inittrace lines of stderr, and returns them and when
// the last one ended (ms after start).
func parseInits(stderr []byte) ([]initRecord, float64) {
	var rs []initRecord
	end := 0.0
	for _, l := range strings.Split(string(stderr), "\n") {
		m := initLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		r := initRecord{pkg: m[1], at: num(m[2]), clock: num(m[3]), bytes: num(m[4]), allocs: num(m[5])}
		rs = append(rs, r)
		end = max(end, r.at+r.clock)
	}
	return rs, end
}

// print lists the top inits by clock time; with base, it also sums the
// inits that base does not run.
func (s *initStats) print(name string, base *initStats, top int) {
	pkgs := make([]string, 0, len(s.clock))
	total, totalBytes, totalAllocs := 0.0, 0.0, 0.0
	for pkg, c := range s.clock {
		pkgs = append(pkgs, pkg)
		total, totalBytes, totalAllocs = total+c, totalBytes+s.bytes[pkg], totalAllocs+s.allocs[pkg]
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if s.clock[pkgs[i]] != s.clock[pkgs[j]] {
			return s.clock[pkgs[i]] > s.clock[pkgs[j]]
		}
		return pkgs[i] < pkgs[j]
	})
	fmt.Printf("  %s: %d package inits, %.2f ms in all, %.0f KB, %.0f allocs; the last ends %.2f ms after start\n",
		name, len(pkgs), total, totalBytes/1024, totalAllocs, s.end)
	if base != nil {
		extra, n := 0.0, 0
		for pkg, c := range s.clock {
			if _, ok := base.clock[pkg]; !ok {
				extra += c
				n++
			}
		}
		fmt.Printf("    %d of them are not in the minimal program's: %.2f ms\n", n, extra)
	}
	for _, pkg := range pkgs[:min(top, len(pkgs))] {
		mark := ""
		if base != nil {
			if _, ok := base.clock[pkg]; !ok {
				mark = " *"
			}
		}
		fmt.Printf("    %6.3f ms %8.0f B %6.0f allocs  %s%s\n", s.clock[pkg], s.bytes[pkg], s.allocs[pkg], pkg, mark)
	}
	if base != nil {
		fmt.Println("    (* not initialised by the minimal program)")
	}
}

func num(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func size(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / (1 << 20)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
