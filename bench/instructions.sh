#!/usr/bin/env bash
# Instructions per request, counted by callgrind: repeatable on a busy machine where req/s are not.
# Seeds TENANTS x EXTENSIONS with a normal server, restarts it under callgrind on the same
# database, then counts the server's instructions over N sequential keep-alive requests of
# /healthz, an authenticated MANAGEDB extension get and INFO extensions json.
# User-space instructions only: kernel time (sockets, scheduling) is not in these figures.
#
#   bench/instructions.sh                        # SQLite
#   DATABASE_URL=postgres://… bench/instructions.sh   # the database must be empty
# Knobs: TENANTS (10) EXTENSIONS (200) N (500) KEEP (a directory for the callgrind files)
set -euo pipefail
cd "$(dirname "$0")/.."
TENANTS=${TENANTS:-10} EXTENSIONS=${EXTENSIONS:-200} N=${N:-500}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
cargo build --release --quiet
work=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-sqlite://$work/bench.db?mode=rwc}
bin=${CARGO_TARGET_DIR:-target}/release/switchboard
$bin migrate >/dev/null 2>&1
admin=$($bin key create --admin 2>/dev/null | tail -n 1)
port=$((20000 + RANDOM % 20000))
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
up() { for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done; exit 1; }

RUST_LOG=warn $bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 & server=$!
up
target=$(python3 bench/seed.py "127.0.0.1:$port" "$admin" "$TENANTS" "$EXTENSIONS" | tail -n 1)
tenant_key=$($bin key create --tenant T001 2>/dev/null | tail -n 1)
kill $server; wait $server 2>/dev/null || true

RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" \
  $bin serve --bind 127.0.0.1:$port >"$work/server.log" 2>&1 & server=$!
up
api="/pbx/proxyapi.php"
python3 - "$port" "$N" "$server" "$work" \
  "/healthz" \
  "$api?reqtype=MANAGEDB&object=extension&action=get&objectid=$target&tenant=T001&key=$tenant_key" \
  "$api?reqtype=INFO&info=extensions&tenant=T001&format=json&key=$tenant_key" <<'PY'
import http.client, subprocess, sys, glob, os, re
port, n, pid, work, *paths = sys.argv[1:]
n = int(n)
names = ["healthz", "managedb_get", "info_extensions_json"]
conn = http.client.HTTPConnection("127.0.0.1", int(port))
def get(path):
    conn.request("GET", path); r = conn.getresponse(); body = r.read()
    assert r.status == 200 and not body.startswith(b"Error") and not body.startswith(b"Too bad"), body[:200]
def total():
    subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    newest = max(glob.glob(f"{work}/cg.{pid}.*"), key=os.path.getmtime)
    for line in open(newest):
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit("no totals in " + newest)
results = []
for name, path in zip(names, paths):
    for _ in range(20): get(path)          # warm: caches, prepared statements, first argon2
    subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
    for _ in range(n): get(path)
    results.append((name, total() / n))
    if os.environ.get("KEEP"):
        newest = max(glob.glob(f"{work}/cg.{pid}.*"), key=os.path.getmtime)
        os.replace(newest, os.path.join(os.environ["KEEP"], f"callgrind.{name}"))
base = results[0][1]
print(f"instructions per request (callgrind, N={n}, user space only):")
for name, ir in results:
    print(f"{name:<22} {ir:>12,.0f}  {ir / base:6.1f}x /healthz   ({100 * base / ir:5.1f}% of /healthz's rate if CPU-bound)")
PY
