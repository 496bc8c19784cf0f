#!/usr/bin/env bash
# Runs every fuzz target of the response parsers for a bounded time, one after
# another (go test accepts one -fuzz target per run). A failure stops the run;
# the failing input is written under <pkg>/testdata/fuzz/<Target>/ and becomes
# a regression case of the ordinary `go test`. Each target reads every input as
# every operation of its transport.
#
#   FUZZTIME=30s scripts/fuzz.sh     # default 10s per target
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

fuzztime="${FUZZTIME:-10s}"
targets=(
	"./soap/ FuzzSOAPAnswer"
	"./soap/ FuzzFastParse"
	"./rest/ FuzzRESTEnvelope"
	"./rest/ FuzzEnvelopeFastPath"
)

for entry in "${targets[@]}"; do
	read -r pkg target <<<"$entry"
	echo "==> $target ($pkg) for $fuzztime"
	go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
done
echo "==> all fuzz targets passed"
