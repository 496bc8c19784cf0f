#!/usr/bin/env bash
# Times the cold start of the CLI against the floor of Go: one SOAP 1.1
# GenerateAPIKey call by `ecgrid apikey generate -transport soap -yes` and by
# a minimal hand-written program (internal/bench/cmd/coldsoap: flag, net/http,
# encoding/xml), each from process start to exit, against one loopback
# server that answers every call with the same key. The timing is done by a
# Go driver (internal/bench/cmd/coldstart), which runs the two interleaved
# after warm-up runs and prints both medians, the per-pair ratios CLI ÷
# minimal (median and min–max; goal ≤ 1.15×) and the costliest package
# inits of each (GODEBUG=inittrace=1).
#
# Environment:
#   COLD_RUNS    timed runs of each program (default 30, at least 20)
#   COLD_WARMUP  untimed runs of each first (default 2)
#   COLD_OUT     directory for the binaries (default: a temp dir, removed)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

runs="${COLD_RUNS:-30}"
warmup="${COLD_WARMUP:-2}"
if ! [[ "$runs" =~ ^[0-9]+$ ]] || ((runs < 20)); then
	echo "coldstart.sh: COLD_RUNS must be a number >= 20 (got '$runs')" >&2
	exit 2
fi
if ! [[ "$warmup" =~ ^[0-9]+$ ]]; then
	echo "coldstart.sh: COLD_WARMUP must be a number (got '$warmup')" >&2
	exit 2
fi
if [[ -n "${COLD_OUT:-}" ]]; then
	out="$COLD_OUT"
	mkdir -p "$out"
else
	out="$(mktemp -d "${TMPDIR:-/tmp}/ecgrid-coldstart.XXXXXX")"
	trap 'rm -rf "$out"' EXIT
fi

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
echo "load:  $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "go:    $(go version)"
echo

echo "== building into $out"
go build -o "$out/ecgrid" ./cmd/ecgrid
go build -o "$out/coldsoap" ./internal/bench/cmd/coldsoap
go build -o "$out/coldstart" ./internal/bench/cmd/coldstart
echo

echo "== cold start: CLI against the minimal program"
"$out/coldstart" -minimal "$out/coldsoap" -cli "$out/ecgrid" -runs "$runs" -warmup "$warmup"
