// Package bench measures the SDK against hand-written net/http code calling
// the same in-process loopback server: REST (resty) against net/http with
// encoding/json, SOAP 1.1/1.2 (prepared envelope, streaming token decoder)
// against encoding/xml marshalling, a 64-goroutine parallel run, and New.
//
// Everything lives in the _test.go files; run it with scripts/bench.sh, or as
// a smoke run:
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/bench/
//
// Benchmarks come in pairs named Benchmark<Case>/impl=hand and
// Benchmark<Case>/impl=sdk, so `benchstat -col /impl` compares them.
package bench
