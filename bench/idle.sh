#!/bin/bash
# How often an idle amane wakes: the context switches of all its threads
# and the CPU it uses over SECONDS, at rest after its start, with its
# default configuration (console, activity log, alerts) and no query.
# A Pi or a router pays each wakeup in power and heat. Builds amane from
# the working tree.
# Usage, from anywhere: bench/idle.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
go build -o "$out/amane" ./cmd/amane
# A free port: the kernel's pick for a UDP socket, let go at once.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$out/state"
cat > "$out/amane.toml" <<EOT
state_dir = "$out/state"
[server]
listen = ["127.0.0.1:$port"]
allow = ["127.0.0.0/8"]
[upstream]
servers = ["udp://127.0.0.1:9"]
EOT
"$out/amane" serve -config "$out/amane.toml" >"$out/log" 2>&1 &
pid=$!
ok=
for _ in $(seq 100); do
  if dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" localhost >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.1
done
if [ -z "$ok" ]; then echo "amane did not answer; its log:" >&2; cat "$out/log" >&2; exit 1; fi
sleep 5 # past the start's own work
switches() { cat /proc/"$pid"/task/*/status | awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s}'; }
ticks() { awk '{print $14 + $15}' /proc/"$pid"/stat; }
s0=$(switches) t0=$(ticks)
sleep "$secs"
s1=$(switches) t1=$(ticks)
hz=$(getconf CLK_TCK)
awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) -v secs="$secs" -v hz="$hz" 'BEGIN {
  printf "idle amane over %d s: %.1f context switches a second, CPU %.2f%% of a core\n", secs, s / secs, 100 * t / hz / secs }'
