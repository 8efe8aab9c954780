#!/usr/bin/env bash
# Abuse benchmark: the peak RSS (VmHWM) of a fresh server for each attack, and /healthz during
#   (a) 16 concurrent unauthenticated 31 MB uploads (key `bad`)
#   (b) 64 concurrent wrong keys from one address
#   (c) 3000 connections dripping a body at 1 byte/s (30 s at most)
#   (d) a 1M-row CDR export (csv) read slowly
# against a release `serve` on SQLite, loopback only. Target: < 64 MB in each.
#
#   bench/abuse.sh            # knobs: ROWS (1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/cdr_rows.sh
ROWS=${ROWS:-1000000}
# 3000 client sockets here and 3000 server sockets there (the server inherits the limit).
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 8192 ] || { echo "need ulimit -n >= 8192 (hard limit is $(ulimit -Hn))"; exit 1; }
cargo build --release --quiet --bin switchboard
bin=${CARGO_TARGET_DIR:-target}/release/switchboard
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$work/abuse.db?mode=rwc" SWITCHBOARD_DATA_DIR="$work/data" RUST_LOG=warn
$bin migrate >/dev/null
$bin tenant add --code T001 --name "Abuse" >/dev/null
te=$(sqlite3 "$work/abuse.db" "SELECT te_id FROM te_tenants WHERE te_code = 'T001'")
echo "generating $ROWS CDRs…"
cdr_insert_sqlite "$work/abuse.db" "$ROWS" "$te"
key=$($bin key create --tenant T001 | tail -n 1)
port=$((20000 + RANDOM % 20000))
echo "$(nproc) cores; a fresh release serve for each attack"
# A fresh server for each attack: freed memory stays with the process (the allocator keeps it), so
# one attack's peak would otherwise be the next one's baseline.
for attack in uploads wrongkeys slowbodies export; do
  $bin serve --no-agi --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  # The key's first use runs argon2; afterwards it is cached (the guesses below block the address).
  curl -sf "http://127.0.0.1:$port/pbx/proxyapi.php?reqtype=INFO&info=dids&tenant=T001&key=$key" >/dev/null
  timeout 300 python3 bench/abuse.py "$port" "$server" "$attack" "$key"
  kill -0 "$server" || { echo "the server died during $attack"; exit 1; }
  kill "$server"; wait "$server" 2>/dev/null || true
  server=
done
