#!/bin/sh
# Load test of amane beside dnsmasq and unbound, then the fairness scenario on
# amane; see bench/README.md. Usage, from anywhere: bench/run.sh [loadtest flags].
# bench/run.sh -list-names 1000000 gives the whole table of PERFORMANCE.md;
# -fairness=false skips the fairness scenario, -fairness-only runs it alone.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/loadtest ./bench/cmd/loadtest
# The harness builds amane and the fake upstream with every core, then only
# waits while dnsperf runs; it pins the servers, dnsperf and the upstream.
exec bench/out/loadtest "$@"
