// Command benchratio reads `go test -bench -benchmem` output of
// internal/bench and prints, for each Benchmark<Case>/impl=hand and
// /impl=sdk pair, the median time ratio SDK/hand-written and the difference
// in allocs/op, checked against the targets of the benchmark issue.
//
//	go run ./internal/bench/cmd/benchratio raw.txt   (or stdin)
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// line matches "BenchmarkREST/impl=sdk-2   1234   56789 ns/op ...".
var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

type samples map[string][]float64 // unit -> values

func main() {
	var in io.Reader = os.Stdin
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchratio:", err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	}
	data := map[string]samples{}
	var order []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := line.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		name, f := m[1], strings.Fields(m[2])
		if data[name] == nil {
			data[name] = samples{}
			order = append(order, name)
		}
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				data[name][f[i+1]] = append(data[name][f[i+1]], v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(2)
	}
	if len(order) == 0 {
		fmt.Fprintln(os.Stderr, "benchratio: no benchmark lines")
		os.Exit(2)
	}

	fmt.Println("Medians per benchmark:")
	fmt.Printf("  %-30s %4s %12s %10s %10s %8s\n", "benchmark", "n", "ns/op", "B/op", "allocs/op", "conns")
	for _, name := range order {
		s := data[name]
		conns := "-"
		if len(s["conns"]) > 0 {
			conns = fmt.Sprintf("%.0f", median(s["conns"]))
		}
		fmt.Printf("  %-30s %4d %12.0f %10.0f %10.0f %8s\n", name, len(s["ns/op"]),
			median(s["ns/op"]), median(s["B/op"]), median(s["allocs/op"]), conns)
	}

	fmt.Println()
	fmt.Println("SDK vs hand-written (medians of the same run):")
	fmt.Printf("  %-10s %12s %12s %14s %10s  %s\n", "pair", "time sdk/hand", "B/op sdk/hand", "allocs sdk-hand", "conns s/h", "target")
	pairs := map[string]bool{}
	for _, name := range order {
		if c, ok := strings.CutSuffix(name, "/impl=sdk"); ok {
			pairs[c] = true
		}
	}
	cases := make([]string, 0, len(pairs))
	for c := range pairs {
		cases = append(cases, c)
	}
	sort.SliceStable(cases, func(i, j int) bool {
		return slices.Index(order, cases[i]+"/impl=sdk") < slices.Index(order, cases[j]+"/impl=sdk")
	})
	for _, c := range cases {
		sdk, hand := data[c+"/impl=sdk"], data[c+"/impl=hand"]
		short := strings.TrimPrefix(c, "Benchmark")
		if hand == nil {
			fmt.Printf("  %-10s (no impl=hand to compare with)\n", short)
			continue
		}
		ratio := median(sdk["ns/op"]) / median(hand["ns/op"])
		bratio := median(sdk["B/op"]) / median(hand["B/op"])
		dallocs := median(sdk["allocs/op"]) - median(hand["allocs/op"])
		conns := "-"
		if len(sdk["conns"]) > 0 {
			conns = fmt.Sprintf("%.0f/%.0f", median(sdk["conns"]), median(hand["conns"]))
		}
		fmt.Printf("  %-10s %11.2fx %11.2fx %+14.0f %10s  %s\n", short, ratio, bratio, dallocs, conns,
			target(short, ratio, dallocs, sdk["conns"]))
	}
	if s, ok := data["BenchmarkNew"]; ok {
		ns := median(s["ns/op"])
		verdict := "met"
		if ns >= 50000 {
			verdict = "NOT met"
		}
		fmt.Printf("  %-10s %10.1f µs/op, %.0f allocs/op                          New < 50 µs: %s\n",
			"New", ns/1000, median(s["allocs/op"]), verdict)
	}
}

// target checks a pair against the project's performance targets.
func target(c string, ratio, dallocs float64, conns []float64) string {
	ok := func(b bool) string {
		if b {
			return "met"
		}
		return "NOT met"
	}
	switch {
	case c == "REST":
		return fmt.Sprintf("time <= 1.35x and allocs <= +35: %s", ok(ratio <= 1.35 && dallocs <= 35))
	case strings.HasPrefix(c, "SOAP"):
		return fmt.Sprintf("time <= 1.00x and allocs <= +0: %s", ok(ratio <= 1.0 && dallocs <= 0))
	case c == "Parallel":
		return fmt.Sprintf("throughput >= hand (time <= 1.00x) and conns <= 72 in every run: %s",
			ok(ratio <= 1.0 && len(conns) > 0 && slices.Max(conns) <= 72))
	}
	return ""
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
