// Package bench measures the SDK against hand-written net/http code calling
// the same in-process loopback server (server_test.go), through the SDK's
// public API only. Every call is GenerateAPIKey for user 42; the server
// answers a fixed key, so only the client code differs.
//
// Everything lives in the _test.go files; run it with scripts/bench.sh, or as
// a smoke run (a second or so):
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/bench/
//
// # Benchmarks
//
// They come in sets named Benchmark<Case>/impl=<side>, so that
// `benchstat -col /impl` compares the sides:
//
//   - REST: impl=hand (net/http and encoding/json, as in the vendor's
//     samples) and impl=sdk (resty underneath).
//   - SOAP11, SOAP12: impl=hand (encoding/xml marshalling a request struct
//     and unmarshalling the whole envelope, as in the samples), impl=fast
//     (fast_test.go: what a careful engineer writes when the call is hot: a
//     prepared envelope, prepared header values, a pooled bounded answer
//     buffer, a streaming xml.Decoder.RawToken loop), and impl=sdk. The
//     SDK's target is ≤ 1.05× of the fast side.
//   - REST401, SOAP11Fault, SOAP12Fault: the SDK's error paths, impl=sdk
//     only, with a credential the server refuses and no retries (one call,
//     one request, which the benchmark checks): HTTP 401 InvalidAPIKey, and
//     HTTP 500 with a soap:Client (1.2: Sender) fault whose detail says
//     Authentication. Each call must return an *ecgrid.Error of kind
//     ErrUnauthorized. Target: allocations within 1.1× of the same
//     transport's success path.
//   - Parallel: 64 goroutines share one client against the fast server;
//     impl=hand uses http.DefaultClient. Reports "conns", the connections
//     the server accepted during the run (a total, not per op).
//   - SlowServer: 512 goroutines share one client against a server that
//     takes 20 ms per request: the SDK with default options against
//     impl=hand with a default http.Client{}. Reports ns/op (the inverse of
//     throughput), "conns", and "p50-ms", the median latency of one call,
//     from an allocation-free histogram. It shows whether the SDK's default
//     connection cap makes callers queue.
//   - New: building a client with default options (target < 50 µs, no I/O).
//
// The tests beside them check what the benchmarks rely on, never timings:
// every side gets the key, the server refuses wrong credentials, the fast
// parser rejects truncated and keyless answers, the error paths return the
// expected kind after one request, the slow server delays, the SDK keeps at
// most 72 connections for 64 goroutines, and New makes no network call.
//
// # Paired ratios
//
// scripts/bench.sh builds the test binary and runs it BENCH_COUNT times
// (rounds, default 8, at least 5), every benchmark once a round, so both
// sides of a pair see the same machine load. cmd/benchratio then divides,
// within each round, the SDK's result by the baseline's (sdk÷hand,
// sdk÷fast, and error path ÷ success path) and reports the median and the
// min–max of those per-round ratios for ns/op, B/op and allocs/op, the
// connections and p50 latencies, each target's verdict on the medians with
// how many rounds met it alone, and (-md) a markdown table for the README.
// On a loaded 2-core machine single rounds swing widely (0.56×–1.40× for one
// pair in one run), so the range is part of every figure.
//
// # Cold start
//
// scripts/coldstart.sh builds the CLI (cmd/ecgrid), cmd/coldsoap (a minimal
// program doing one SOAP 1.1 GenerateAPIKey call with flag, net/http and
// encoding/xml only) and cmd/coldstart, a driver that serves the fixed key on
// loopback, runs the two programs interleaved (COLD_RUNS, default 30, after
// warm-up runs) from process start to exit, and prints both medians, the
// per-pair ratio CLI ÷ minimal (goal ≤ 1.15×) and, from GODEBUG=inittrace=1,
// the package initialisations that cost the CLI the most.
package bench
