#!/usr/bin/env bash
# Benchmarks the SDK against hand-written net/http code (internal/bench) and
# prints, per pair, the paired ratios: run i of the SDK divided by run i of
# the baseline (hand, fast) within the same round, as the median and the
# min–max over the rounds, for ns/op, B/op and allocs/op; the same for the
# SDK's error paths against its success paths; and a markdown table of it
# all for the README (internal/bench/cmd/benchratio).
#
# Environment:
#   BENCH_COUNT   rounds (default 8; at least 5, for a quick look only: the
#                 README's figures come from 8 or more)
#   BENCH_TIME    -benchtime of each run (default 1s)
#   BENCH_FILTER  -bench regexp (default .)
#   BENCH_OUT     directory for raw.txt and the test binary (default: a temp dir)
#
# A round runs the test binary once, every benchmark once: the rounds are
# interleaved so that both sides of a pair see the same machine load, and a
# ratio is only ever taken within one round. A full run takes about 30 s a
# round on a 2-core machine, so about 4 minutes.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

count="${BENCH_COUNT:-8}"
benchtime="${BENCH_TIME:-1s}"
filter="${BENCH_FILTER:-.}"
if ! [[ "$count" =~ ^[0-9]+$ ]] || ((count < 5)); then
	echo "bench.sh: BENCH_COUNT must be a number >= 5 (got '$count')" >&2
	exit 2
fi
out="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/ecgrid-bench.XXXXXX")}"
mkdir -p "$out"
raw="$out/raw.txt"
: >"$raw"

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
echo "load:  $(load) (1, 5, 15 min, before the runs)"
echo "go:    $(go version)"
echo

echo "== building the benchmark binary"
go test -c -o "$out/bench.test" ./internal/bench/

echo "== running: count=$count benchtime=$benchtime bench=$filter (raw output: $raw)"
for ((i = 1; i <= count; i++)); do
	echo "-- run $i/$count" >&2
	"$out/bench.test" -test.run '^$' -test.bench "$filter" -test.benchmem \
		-test.benchtime "$benchtime" -test.count 1 | tee -a "$raw" | grep '^Benchmark' >&2 || {
		echo "bench.sh: run $i failed; see $raw" >&2
		exit 1
	}
done
echo "load:  $(load) (after the runs)"
echo

# benchstat: installed as a tool binary, never a module dependency.
benchstat_bin="$(command -v benchstat || true)"
if [[ -z "$benchstat_bin" ]]; then
	gobin="$(go env GOBIN)"
	[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
	if [[ -x "$gobin/benchstat" ]]; then
		benchstat_bin="$gobin/benchstat"
	elif (cd "$out" && GOFLAGS= go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da) >&2; then
		benchstat_bin="$gobin/benchstat"
	else
		echo "bench.sh: could not install benchstat; printing medians only" >&2
	fi
fi
if [[ -n "$benchstat_bin" ]]; then
	echo "== benchstat -col /impl (hand, fast, sdk; medians of unpaired runs)"
	"$benchstat_bin" -col /impl "$raw" || echo "bench.sh: benchstat failed; medians below" >&2
	echo
fi

echo "== paired ratios and targets (benchratio)"
go run ./internal/bench/cmd/benchratio -md "$raw"
