#!/bin/sh
# Load test of amane beside dnsmasq and unbound; see bench/README.md.
# Usage, from anywhere: bench/run.sh [loadtest flags], e.g. bench/run.sh -runs 1;
# bench/run.sh -fairness runs the one-device-floods-the-home scenario instead.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/loadtest ./bench/cmd/loadtest
# The harness builds amane and the fake upstream with every core, then only
# waits while dnsperf runs; it pins the servers, dnsperf and the upstream.
exec bench/out/loadtest "$@"
