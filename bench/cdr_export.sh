#!/usr/bin/env bash
# CDR export benchmark: ROWS CDRs of tenant T001 plus OTHER_ROWS of nine other tenants (bulk
# inserted with the database's own SQL, interleaved in time), then in one run:
#   (a) INFO cdrs format=csv of T001 over HTTP (release server, wide date range, curl to /dev/null)
#   (b) the same columns and rows exported by the database's own CLI (sqlite3 -csv / psql \copy)
# and prints rows/s of both, their ratio, and the server's peak RSS (VmHWM) after (a). It also
# shows the query plan and the HTTP time of one tenant's month.
#
#   bench/cdr_export.sh                       # SQLite (a fresh file under a temp dir)
#   BACKEND=postgres bench/cdr_export.sh      # PostgreSQL at PG_URL (a scratch database is
#                                             # created there and dropped afterwards)
# Knobs: ROWS (1000000) OTHER_ROWS (1000000) PG_URL (postgres://postgres@127.0.0.1:5432/postgres)
# PERF=FILE: perf record the server during (a); then perf report -i FILE
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/cdr_rows.sh
ROWS=${ROWS:-1000000} OTHER_ROWS=${OTHER_ROWS:-1000000} BACKEND=${BACKEND:-sqlite}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --quiet
export RUST_LOG=warn
bin=${CARGO_TARGET_DIR:-target}/release/switchboard
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if [ "$BACKEND" = postgres ]; then psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
case $BACKEND in
  sqlite)
    export DATABASE_URL="sqlite://$work/bench.db?mode=rwc"
    sql() { sqlite3 "$work/bench.db" "$@"; } ;;
  postgres)
    pgdb=sb_cdr_bench_$$
    psql -q "$PG_URL" -c "CREATE DATABASE $pgdb" >/dev/null
    export DATABASE_URL="${PG_URL%/*}/$pgdb"
    sql() { psql -qAt "$DATABASE_URL" -c "$@"; } ;;
  *) echo "BACKEND must be sqlite or postgres"; exit 1 ;;
esac
$bin migrate >/dev/null
for i in $(seq 1 10); do $bin tenant add --code "$(printf 'T%03d' "$i")" --name "Bench $i" >/dev/null; done
te=$(sql "SELECT te_id FROM te_tenants WHERE te_code = 'T001'")

# Call n (1-based, over all tenants) starts 2025-01-01 + n*5 s; every tenth is T001's when
# OTHER_ROWS = 9*ROWS, otherwise T001's rows come first in the id order but interleave in time.
total=$((ROWS + OTHER_ROWS))
echo "generating $ROWS CDRs of T001 + $OTHER_ROWS of other tenants ($BACKEND)…"
t0=$(date +%s.%N)
TE_EXPR="CASE WHEN n % 2 = 0 AND n / 2 <= $ROWS THEN $te ELSE $te + 1 + n % 9 END"
[ "$OTHER_ROWS" -eq "$ROWS" ] || TE_EXPR="CASE WHEN n <= $ROWS THEN $te ELSE $te + 1 + n % 9 END"
if [ "$BACKEND" = sqlite ]; then
  cdr_insert_sqlite "$work/bench.db" "$total" "$TE_EXPR"
else
  cdr_insert_postgres "$DATABASE_URL" "$total" "$TE_EXPR"
fi
printf 'generated in %.1f s: %s rows of T001, %s in all\n' "$(echo "$(date +%s.%N) - $t0" | bc)" \
  "$(sql "SELECT count(*) FROM cdr WHERE te_id = $te")" "$(sql "SELECT count(*) FROM cdr")"
rows=$(sql "SELECT count(*) FROM cdr WHERE te_id = $te")

key=$($bin key create --tenant T001 | tail -n 1)
port=$((20000 + RANDOM % 20000))
$bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
api="http://127.0.0.1:$port/pbx/proxyapi.php?reqtype=INFO&info=cdrs&tenant=T001&key=$key&format=csv"
wide="$api&start=2000-01-01&end=2099-12-31"
curl -sf "$api&start=2025-01-01&end=2025-01-01" >/dev/null # warm: the key's first use runs argon2
# The client may stop reading early: the server must not mind.
{ curl -sN "$wide" || true; } | head -n 3
hwm_before=$(awk '/VmHWM/ {print $2}' /proc/$server/status)

# (a) HTTP export (PERF=FILE also records a flat perf profile of the server meanwhile).
[ -n "${PERF:-}" ] && { perf record -q -p "$server" -o "$PERF" & perf_pid=$!; sleep 0.5; }
t0=$(date +%s.%N)
bytes=$(curl -sf -o /dev/null -w '%{size_download}' "$wide")
http_s=$(echo "$(date +%s.%N) - $t0" | bc)
[ -n "${PERF:-}" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
hwm=$(awk '/VmHWM/ {print $2}' /proc/$server/status)

# (b) the database's own CLI, same columns, rows and order.
columns='"ID", accountcode, start, answer, "end", clid, realsrc, firstdst, lastdst, src, dst, duration, billsec, disposition, dcontext, channel, dstchannel, lastapp, userfield, uniqueid, linkedid, peeraccount, originateid, wherelanded, te_id, direction'
select="SELECT $columns FROM cdr WHERE te_id = $te AND start >= '2000-01-01' AND start < '2100-01-01' ORDER BY start, \"ID\""
t0=$(date +%s.%N)
if [ "$BACKEND" = sqlite ]; then
  sqlite3 -csv -header "$work/bench.db" "$select" >"$work/cli.csv"
else
  psql -q "$DATABASE_URL" -c "\\copy ($select) to stdout csv header" >"$work/cli.csv"
fi
cli_s=$(echo "$(date +%s.%N) - $t0" | bc)
cli_bytes=$(stat -c %s "$work/cli.csv")

month="$api&start=2025-03-01&end=2025-03-31"
t0=$(date +%s.%N)
month_rows=$(curl -sf "$month" | tail -n +2 | wc -l)
month_s=$(echo "$(date +%s.%N) - $t0" | bc)
# T001 holds half the rows; T002 about a twentieth (the usual case among many tenants).
for code in T001 T002; do
  id=$(sql "SELECT te_id FROM te_tenants WHERE te_code = '$code'")
  echo
  echo "query plan of $code's month ($(sql "SELECT count(*) FROM cdr WHERE te_id = $id") rows in all):"
  if [ "$BACKEND" = sqlite ]; then
    sqlite3 "$work/bench.db" "EXPLAIN QUERY PLAN SELECT $columns FROM cdr WHERE te_id = $id AND start >= '2025-03-01 00:00:00' AND start < '2025-04-01 00:00:00' ORDER BY start, \"ID\""
  else
    psql -qAt "$DATABASE_URL" -c "EXPLAIN ANALYZE SELECT $columns FROM cdr WHERE te_id = $id AND start >= '2025-03-01' AND start < '2025-04-01' ORDER BY start, \"ID\""
  fi
done
echo
echo "backend=$BACKEND rows(T001)=$rows rows(all)=$total, $(nproc) cores"
awk -v r="$rows" -v h="$http_s" -v c="$cli_s" -v hb="$bytes" -v cb="$cli_bytes" -v m="$hwm" -v m0="$hwm_before" \
    -v mr="$month_rows" -v ms="$month_s" 'BEGIN {
  printf "HTTP INFO cdrs csv : %8.2f s %10.0f rows/s %6.1f MB\n", h, r / h, hb / 1e6
  printf "database CLI csv   : %8.2f s %10.0f rows/s %6.1f MB\n", c, r / c, cb / 1e6
  printf "ratio HTTP/CLI     : %8.1f%% (target >= 50%%)\n", 100 * c / h
  printf "server peak RSS    : %8.1f MB (VmHWM; %.1f MB before the export; target < 64 MB)\n", m / 1024, m0 / 1024
  printf "one month over HTTP: %8.2f s for %d rows\n", ms, mr
}'
