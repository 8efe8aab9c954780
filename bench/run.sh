#!/usr/bin/env bash
# Load benchmark of the ProxyAPI: seeds TENANTS x EXTENSIONS through the API, then measures with
# wrk, in one run: /healthz (the ceiling), an authenticated MANAGEDB extension get, and INFO
# extensions json for one tenant. Prints req/s, p50/p99 and the ratios to /healthz.
#
#   bench/run.sh                       # SQLite (a fresh file under a temp dir)
#   DATABASE_URL=postgres://… bench/run.sh   # any backend; the database must be empty
# Knobs: TENANTS (100) EXTENSIONS (200) DURATION (10s) CONNECTIONS (32) THREADS (1)
set -euo pipefail
cd "$(dirname "$0")/.."
TENANTS=${TENANTS:-100} EXTENSIONS=${EXTENSIONS:-200} DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32} THREADS=${THREADS:-1}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet
work=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-sqlite://$work/bench.db?mode=rwc}
bin=${CARGO_TARGET_DIR:-target}/release/switchboard
$bin migrate >/dev/null
admin=$($bin key create --admin | tail -n 1)
port=$((20000 + RANDOM % 20000))
RUST_LOG=warn $bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

echo "seeding $TENANTS tenants x $EXTENSIONS extensions through the API…"
start=$(date +%s)
target=$(python3 bench/seed.py "127.0.0.1:$port" "$admin" "$TENANTS" "$EXTENSIONS" | tail -n 1)
echo "seeded in $(( $(date +%s) - start )) s"
tenant_key=$($bin key create --tenant T001 | tail -n 1)
api="http://127.0.0.1:$port/pbx/proxyapi.php"
get="$api?reqtype=MANAGEDB&object=extension&action=get&objectid=$target&tenant=T001&key=$tenant_key"
info="$api?reqtype=INFO&info=extensions&tenant=T001&format=json&key=$tenant_key"
# Sanity: the authenticated requests really answer data, not an error.
curl -sf "$get" | grep -q '"ex_username"' || { echo "get does not answer a row"; exit 1; }
[ "$(curl -sf "$info" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$EXTENSIONS" ] || { echo "INFO extensions is not $EXTENSIONS rows"; exit 1; }

measure() { # name url → "name rps p50 p99"
  local out rps p50 p99
  curl -sf "$2" >/dev/null # warm (first use of a key runs argon2 once)
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "$1: non-2xx answers"; exit 1; fi
  echo "$1 $rps $p50 $p99"
}
results=$(measure healthz "http://127.0.0.1:$port/healthz"; measure managedb_get "$get"; measure info_extensions_json "$info")
backend=${DATABASE_URL%%:*}
echo
echo "backend=$backend tenants=$TENANTS extensions/tenant=$EXTENSIONS wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores"
awk 'NR==1 {base=$2} {printf "%-22s %10.0f req/s  p50 %-9s p99 %-9s  %5.1f%% of /healthz\n", $1, $2, $3, $4, 100*$2/base}' <<<"$results"
