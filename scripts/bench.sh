#!/usr/bin/env bash
# Benchmarks the SDK against hand-written net/http code (internal/bench) and
# prints, per pair, the median time ratio SDK/hand-written and the difference
# in allocs/op.
#
# Environment:
#   BENCH_COUNT   runs of every benchmark (default 6, at least 5)
#   BENCH_TIME    -benchtime of each run (default 1s)
#   BENCH_FILTER  -bench regexp (default .)
#   BENCH_OUT     directory for raw.txt and the test binary (default: a temp dir)
#
# The runs are interleaved (all benchmarks once, then again, COUNT times) so
# that both sides of a pair see the same machine load.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

count="${BENCH_COUNT:-6}"
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

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
echo "load:  $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
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
	echo "== benchstat -col /impl (hand vs sdk)"
	"$benchstat_bin" -col /impl "$raw" || echo "bench.sh: benchstat failed; medians below" >&2
	echo
fi

echo "== medians and targets"
go run ./internal/bench/cmd/benchratio "$raw"
