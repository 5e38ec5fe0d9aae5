#!/bin/bash
# The helpline's intake under load (issue 13): bbolt, then one and two
# intake servers on one PostgreSQL, then two servers of which one is
# killed (SIGKILL) in the middle of the run. Usage, from anywhere, as root
# or as a user who may run initdb:
#   bench/helpline.sh [APPLIANCES]       (default 10000)
#   DAY_ONLY=1 bench/helpline.sh 100000  (a day of a country's appliances, two servers only)
# Needs Debian's postgresql package. The cluster is made in a temporary
# directory with the server's default durability (fsync and synchronous
# commit on), listening on 127.0.0.1 only; everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
out=$(mktemp -d /tmp/helpline-bench.XXXXXX)
bin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
as=()
if [ "$(id -u)" = 0 ]; then chown nobody "$out"; as=(setpriv --reuid=nobody --regid=nogroup --clear-groups); fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "${as[@]}" "$bin/pg_ctl" -D "$out/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

go build -o "$out/amane-helpline" ./cmd/amane-helpline
go build -o "$out/helpline-load" ./bench/cmd/helpline-load
port=$((20000 + RANDOM % 20000))
"${as[@]}" "$bin/initdb" -D "$out/pg" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$out/pg" -l "$out/pg.log" -w \
  -o "-k $out -c listen_addresses=127.0.0.1 -p $port -c max_connections=100" start >/dev/null

# The address limit is per server and in memory: every simulated
# appliance comes from 127.0.0.1 here, so it is lifted.
intake() { printf '[intake]\nlisten = "127.0.0.1:%s"\ninsecure_http = true\naddr_rate = 100000000\naddr_burst = 1000000\n' "$1"; }
printf 'state_dir = "%s/bolt"\n' "$out" > "$out/bolt.toml"; intake 18440 >> "$out/bolt.toml"
for i in 1 2; do
  printf '[store]\npostgres = "postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable"\nmax_conns = 16\n' "$port" > "$out/pg$i.toml"
  intake 1844$i >> "$out/pg$i.toml"
done

start() { "$out/amane-helpline" serve -config "$out/$1.toml" 2>>"$out/$1.log" & pids+=($!); last=$!
  for _ in $(seq 100); do grep -q "amane-helpline serving" "$out/$1.log" && return; sleep 0.1; done; echo "$1 did not start" >&2; exit 1; }
load() { echo "\$ helpline-load -appliances $N -url $1 ${*:2}"; "$out/helpline-load" -appliances "$N" -url "$1" "${@:2}"; echo; }
psql_() { psql -X -qtA -h 127.0.0.1 -p "$port" -U postgres postgres -c "$1"; }

# DAY_ONLY=1 bench/helpline.sh 100000: the day alone (two servers on one
# PostgreSQL), without the other scenarios.
if [ "${DAY_ONLY:-}" = 1 ]; then
  "$out/amane-helpline" migrate -config "$out/pg1.toml"; start pg1; start pg2
  echo "-- two servers"; load http://127.0.0.1:18441,http://127.0.0.1:18442 -seed 7
  exit 0
fi

echo "== bbolt, one server"
start bolt; load http://127.0.0.1:18440 -seed 1
kill "$last"

echo "== PostgreSQL"
"$out/amane-helpline" migrate -config "$out/pg1.toml"
start pg1; pg1=$last
start pg2; pg2=$last
echo "-- one server"; load http://127.0.0.1:18441 -seed 2
echo "-- two servers"; load http://127.0.0.1:18441,http://127.0.0.1:18442 -seed 3

echo "== two servers, pg2 killed with SIGKILL after a third of the batches"
before=$(psql_ "SELECT count(*) FROM batches")
"$out/helpline-load" -appliances "$N" -url http://127.0.0.1:18441,http://127.0.0.1:18442 -seed 4 -acked "$out/acked" > "$out/kill.out" &
lg=$!
until [ "$(psql_ "SELECT count(*) FROM batches")" -ge $((before + N / 3)) ]; do sleep 0.05; done
kill -KILL "$pg2"; echo "killed pg2 with $(( $(psql_ "SELECT count(*) FROM batches") - before )) of $N batches stored"
wait "$lg" || true
cat "$out/kill.out"
stored=$(psql_ "SELECT count(*) FROM batches")
acked=$(sort -u "$out/acked" | grep -c .)
psql_ "CREATE TEMP TABLE acked (id text); COPY acked FROM '$out/acked'; SELECT 'acknowledged ids stored: ' || count(*) FROM acked JOIN batches USING (id)" 2>/dev/null ||
  echo "(could not read $out/acked from the server)"
echo "batches stored by this run: $((stored - before)); distinct acknowledged ids: $acked; appliances: $N"
echo "-- stats from pg1's and pg2's configurations"
"$out/amane-helpline" stats -config "$out/pg1.toml" > "$out/stats1"
"$out/amane-helpline" stats -config "$out/pg2.toml" > "$out/stats2"
if cmp -s "$out/stats1" "$out/stats2"; then echo "stats agree:"; head -4 "$out/stats1"; else echo "stats DIFFER"; diff "$out/stats1" "$out/stats2"; exit 1; fi
[ $((stored - before)) = "$N" ] && [ "$acked" = "$N" ]
