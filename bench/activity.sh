#!/bin/bash
# Server CPU per cached answer with the activity log on and off, side by
# side (issue 12: activity may cost a cached answer < 5 %). Builds amane
# twice from HEAD: as it is, and with the resolver not connected to the
# activity ring (everything else alike), then runs both at a fixed rate,
# alternating which goes first each round, and prints CPU per answer.
# 127.0.0.1 is a child's device, so every name is kept: the costliest mode.
# Usage, from anywhere: bench/activity.sh [ROUNDS [SECONDS [QPS]]]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10} secs=${2:-5} qps=${3:-40000}
out=$PWD/bench/out/activity-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
git worktree add -q --detach "$out/src" HEAD
trap 'git worktree remove --force "$out/src"; kill $(jobs -p) 2>/dev/null || true' EXIT
(cd "$out/src" && go build -o "$out/amane-on" ./cmd/amane && go build -o "$out/fakeupstream" ./bench/cmd/fakeupstream)
line='a.h.RecordEvents(a.events)'
if [ "$(grep -c "^	$line\$" "$out/src/appliance/activity.go")" != 1 ]; then
  echo "appliance/activity.go no longer has the line '$line': update bench/activity.sh" >&2
  exit 1
fi
sed -i "s/^	$line\$/	\/\/ $line/" "$out/src/appliance/activity.go"
(cd "$out/src" && go build -o "$out/amane-off" ./cmd/amane)

taskset -c 1 "$out/fakeupstream" -listen 127.0.0.1:15399 -delay 1ms >/dev/null 2>&1 &
head -10000 ../shared/data/popular/umbrella-top-100k.txt | awk '{print $1" A"}' > "$out/names"
declare -A pid port
p=15301
for v in off on; do
  mkdir -p "$out/$v"
  cat > "$out/$v/amane.toml" <<EOT
state_dir = "$out/$v/state"
[server]
listen = ["127.0.0.1:$p"]
allow = ["127.0.0.0/8"]
rate_limit = 0
[upstream]
servers = ["udp://127.0.0.1:15399"]
[cache]
entries = 100000
[catalog]
enabled = false
[admin]
enabled = false
[[profile]]
name = "kid"
preset = "9-12"
[[device]]
name = "bench"
ip = "127.0.0.1"
profile = "kid"
EOT
  taskset -c 0 "$out/amane-$v" serve -config "$out/$v/amane.toml" >"$out/$v/log" 2>&1 &
  pid[$v]=$! port[$v]=$p
  p=$((p + 1))
done
for v in off on; do
  ok=
  for _ in $(seq 100); do
    if dig +short +time=1 +tries=1 @127.0.0.1 -p "${port[$v]}" example.com >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "amane-$v does not answer: $out/$v/log" >&2; exit 1; }
  taskset -c 1 dnsperf -s 127.0.0.1 -p "${port[$v]}" -d "$out/names" -n 1 -c 10 -q 100 >/dev/null 2>&1
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
echo "round server answers cpu_us_per_answer"
for r in $(seq "$rounds"); do
  order="off on"; [ $((r % 2)) = 0 ] && order="on off"
  for v in $order; do
    a=$(cpu "${pid[$v]}")
    n=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "${port[$v]}" -d "$out/names" -l "$secs" -Q "$qps" -c 10 -q 100 2>&1 | awk '/Queries completed/{print $3}')
    b=$(cpu "${pid[$v]}")
    echo "$r $v $n $(echo "scale=3; ($b - $a) * 1000000 / $tck / $n" | bc)"
  done
done | tee "$out/rounds.txt"
{
  for v in off on; do
    awk -v v=$v '$2 == v {print $4}' "$out/rounds.txt" | sort -n |
      awk -v v=$v '{x[NR] = $1} END {printf "%s: median %.3f us of CPU per answer\n", v, NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2}'
  done
  # Each round's on / off: the two ran a few seconds apart, so a ratio
  # cancels what the machine did to both.
  awk '{v[$1 " " $2] = $4; r[$1] = 1} END {for (k in r) print v[k " on"] / v[k " off"]}' "$out/rounds.txt" | sort -n |
    awk '{x[NR] = $1} END {printf "on / off, round by round: median %.3f, quartiles %.3f-%.3f, %d rounds\n", NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2, x[int((NR + 3) / 4)], x[int((3 * NR + 3) / 4)], NR}'
} | tee "$out/summary.txt"
