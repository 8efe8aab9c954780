#!/usr/bin/env bash
# Load benchmark of the ProxyAPI, one backend after the other: for each, seeds TENANTS x
# EXTENSIONS through the API on a fresh database, then measures with wrk, in one run: /healthz,
# an authenticated MANAGEDB extension get and INFO extensions json for one tenant, and beside them
# the database's own ceiling for a single-row primary-key select, run the same way (CONNECTIONS
# clients, DURATION):
#   PostgreSQL            pgbench -S -M prepared (scale 2, a database of its own)
#   PostgreSQL, pgbouncer pgbench -S -M extended through the same PgBouncer (a URL with
#                         pgbouncer=true: named prepared statements do not survive transaction mode)
#   MariaDB/MySQL         mysqlslap, concurrency CONNECTIONS, one point select by primary key on a
#                         100,000-row InnoDB table
# Prints req/s, p50/p99, the ratio of each request to /healthz and of the get to the ceiling.
#
#   bench/run.sh                                  # SQLite (a fresh file under a temp dir)
#   bench/run.sh sqlite postgres://postgres@127.0.0.1:5432/postgres \
#       'postgres://postgres@127.0.0.1:6432/postgres?pgbouncer=true' mysql://root@127.0.0.1:3306/test
# A server URL names the server (and a database to connect to first): each run creates its own
# database there and drops it afterwards. DATABASE_URL, if set, is the one backend.
# Knobs: TENANTS (100) EXTENSIONS (200) DURATION (10s) CONNECTIONS (32) THREADS (1)
#        BIN (the switchboard binary; default: build this checkout in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
TENANTS=${TENANTS:-100} EXTENSIONS=${EXTENSIONS:-200} DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32} THREADS=${THREADS:-1}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=${CARGO_TARGET_DIR:-target}/release/switchboard
fi
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=("${DATABASE_URL:-sqlite}")
work=$(mktemp -d)
server=
cleanup=()
trap '[ -n "$server" ] && kill $server 2>/dev/null; for c in "${cleanup[@]}"; do eval "$c" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
seconds=${DURATION%s}

# url part → value (python's urllib: user, host, port, path, query without Switchboard's options)
url() { python3 -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); part = sys.argv[2]
q = "&".join(x for x in p.query.split("&") if x and x.split("=")[0] not in ("pgbouncer", "acquire_timeout", "connect_timeout"))
print({"user": p.username or "", "host": p.hostname or "", "port": p.port or "", "path": p.path.lstrip("/"),
       "base": f"{p.scheme}://{p.netloc}", "query": q}[part])' "$@"; }

# A fresh database on the server of $1 for this run: prints its URL (Switchboard's options kept).
fresh_database() {
  local given=$1 name=$2 base query
  base=$(url "$given" base)
  query=${given#*\?}; [ "$query" = "$given" ] && query= || query="?$query"
  case $given in
    postgres*) psql "$(url "$given" base)/$(url "$given" path)" -qc "CREATE DATABASE $name"
               cleanup+=("psql '$(url "$given" base)/$(url "$given" path)' -qc 'DROP DATABASE IF EXISTS $name WITH (FORCE)'") ;;
    mysql*|mariadb*) mysql_cli "$given" -e "CREATE DATABASE $name CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
               cleanup+=("mysql_cli '$given' -e 'DROP DATABASE IF EXISTS $name'") ;;
  esac
  echo "$base/$name$query"
}
mysql_cli() { local u=$1; shift; mysql -h "$(url "$u" host)" -P "$(url "$u" port)" -u "$(url "$u" user)" "$@"; }

measure() { # name url → "name rps p50 p99"
  local out rps p50 p99
  curl -sf "$2" >/dev/null # warm (first use of a key runs argon2 once)
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "$1: non-2xx answers" >&2; exit 1; fi
  echo "$1 $rps $p50 $p99"
}

# The database's own single-row primary-key select rate → "ceiling tps - -" (nothing for SQLite).
ceiling() {
  local given=$1 name=${2}_ceiling target out
  case $given in
    postgres*)
      target=$(fresh_database "$given" "$name")
      target=${target%%\?*}
      pgbench -q -i -s 2 "$target" >/dev/null 2>&1
      local mode=prepared
      [[ $given == *pgbouncer=true* ]] && mode=extended
      out=$(pgbench -n -S -M $mode -c "$CONNECTIONS" -j 2 -T "$seconds" "$target" 2>&1)
      echo "ceiling_pgbench_S_$mode $(awk '/^tps/ {print $3; exit}' <<<"$out") - -" ;;
    mysql*|mariadb*)
      fresh_database "$given" "$name" >/dev/null
      mysql_cli "$given" "$name" -e "CREATE TABLE d (n INT); INSERT INTO d VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
        CREATE TABLE t (id INT PRIMARY KEY, c CHAR(60)) ENGINE=InnoDB;
        INSERT INTO t SELECT 1 + a.n + 10 * b.n + 100 * c.n + 1000 * e.n + 10000 * f.n, REPEAT('x', 60)
        FROM d a, d b, d c, d e, d f;"
      local queries=$((CONNECTIONS * 2000)) started
      started=$(date +%s.%N)
      mysqlslap -h "$(url "$given" host)" -P "$(url "$given" port)" -u "$(url "$given" user)" \
        --create-schema="$name" --concurrency="$CONNECTIONS" --iterations=1 \
        --number-of-queries=$queries --query="SELECT c FROM t WHERE id = 4242" >/dev/null
      echo "ceiling_mysqlslap_point_select $(python3 -c "import sys; print($queries / ($(date +%s.%N) - $started))") - -" ;;
  esac
}

summary=()
run=0
for given in "${backends[@]}"; do
  run=$((run + 1))
  name="sbbench_$$_$run"
  case $given in
    sqlite*) export DATABASE_URL="sqlite://$work/$name.db?mode=rwc" ;;
    *) export DATABASE_URL=$(fresh_database "$given" "$name") ;;
  esac
  $BIN migrate >/dev/null
  admin=$($BIN key create --admin | tail -n 1)
  port=$((20000 + RANDOM % 20000))
  RUST_LOG=warn $BIN serve --no-agi --bind 127.0.0.1:$port >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

  echo "[$given] seeding $TENANTS tenants x $EXTENSIONS extensions through the API…"
  start=$(date +%s)
  target=$(python3 bench/seed.py "127.0.0.1:$port" "$admin" "$TENANTS" "$EXTENSIONS" | tail -n 1)
  echo "seeded in $(( $(date +%s) - start )) s"
  tenant_key=$($BIN key create --tenant T001 | tail -n 1)
  api="http://127.0.0.1:$port/pbx/proxyapi.php"
  get="$api?reqtype=MANAGEDB&object=extension&action=get&objectid=$target&tenant=T001&key=$tenant_key"
  info="$api?reqtype=INFO&info=extensions&tenant=T001&format=json&key=$tenant_key"
  # Sanity: the authenticated requests really answer data, not an error.
  curl -sf "$get" | grep -q '"ex_username"' || { echo "get does not answer a row"; exit 1; }
  [ "$(curl -sf "$info" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$EXTENSIONS" ] || { echo "INFO extensions is not $EXTENSIONS rows"; exit 1; }

  results=$(measure healthz "http://127.0.0.1:$port/healthz"; measure managedb_get "$get"; measure info_extensions_json "$info")
  kill $server; wait $server 2>/dev/null || true; server=
  ceil=$(ceiling "$given" "$name")
  [ -z "$ceil" ] || results+=$'\n'$ceil
  label=$(sed -E 's#://[^@/]*@#://#; s#\?.*pgbouncer=true.*#, through PgBouncer#; s#\?.*##' <<<"$given")
  summary+=("$(echo
    echo "[$label] tenants=$TENANTS extensions/tenant=$EXTENSIONS wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores"
    awk '
      NR == 1 { base = $2 }
      $1 == "managedb_get" { get = $2 }
      $1 ~ /^ceiling/ { if ($2 != "") printf "%-30s %10.0f tps    (the database alone)\n", $1, $2; if ($2 > 0) ceil = $2; next }
      { printf "%-30s %10.0f req/s  p50 %-9s p99 %-9s  %5.1f%% of /healthz\n", $1, $2, $3, $4, 100 * $2 / base }
      END { if (ceil > 0) printf "%-30s %10.2f\n", "get / ceiling", get / ceil }' <<<"$results")")
done
printf '%s\n' "${summary[@]}"
