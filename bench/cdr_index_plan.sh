#!/usr/bin/env bash
# How PostgreSQL finds one tenant's month of CDRs in a big table of many tenants: N rows (default
# 10M) spread over 100 tenants, with the two indexes the cdr migration creates on cdr,
# (te_id, start) and (start); prints the plan and time of INFO cdrs' query for one tenant's month.
# A scratch database is created and dropped. PG_URL defaults to the local trust-auth server.
set -euo pipefail
N=${N:-10000000}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db=sb_index_plan_$$
psql -q "$PG_URL" -c "CREATE DATABASE $db"
trap 'psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db"' EXIT
url="${PG_URL%/*}/$db"
psql -q "$url" <<SQL
CREATE TABLE cdr ("ID" serial PRIMARY KEY, te_id int NOT NULL, start timestamp NOT NULL,
                  src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '');
INSERT INTO cdr (te_id, start, src, dst)
  SELECT 1 + (random() * 99)::int, timestamp '2025-01-01' + g * interval '3 seconds', '100', '5551234'
  FROM generate_series(1, $N) g;
CREATE INDEX idx_cdr_te_id_start ON cdr (te_id, start);
CREATE INDEX idx_cdr_start ON cdr (start);
ANALYZE cdr;
SQL
for _ in 1 2; do
  psql -q "$url" -c "EXPLAIN ANALYZE SELECT * FROM cdr WHERE te_id = 7
    AND start >= '2025-03-01' AND start < '2025-04-01' ORDER BY start, \"ID\""
done
