# Bulk CDR generation with the database's own SQL, shared by the benchmarks (source it).
# Call n starts 2025-01-01 + n*5 s (n = 1..total); TE_EXPR (SQL over n) picks its tenant.
#   cdr_insert_sqlite DB_FILE TOTAL TE_EXPR
#   cdr_insert_postgres URL TOTAL TE_EXPR

# Column values shared by both backends; $N is the row number, $TE the tenant expression.
cdr_cols='te_id, start, answer, "end", clid, src, dst, realsrc, firstdst, lastdst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec, disposition, amaflags, accountcode, userfield, uniqueid, linkedid, direction, node'
cdr_vals() { # $1 = row-number expr, $2 = start, $3 = answer, $4 = end, $5 = tenant expr
  local n=$1
  echo "$5, $2, $3, $4,
    '\"Caller ' || ($n % 1000) || '\" <' || (3000 + $n % 1000) || '>', '' || (100 + $n % 50), '0039' || (60000000 + $n % 9999999),
    '' || (100 + $n % 50), '0039' || (60000000 + $n % 9999999), '0039' || (60000000 + $n % 9999999), 'from-internal-T',
    'PJSIP/' || (100 + $n % 50) || '-T001-' || $n, 'PJSIP/trunk-' || $n, 'Dial', 'PJSIP/trunk,60',
    30 + $n % 600, $n % 600, CASE WHEN $n % 5 = 0 THEN 'NO ANSWER' ELSE 'ANSWERED' END, 'DOCUMENTATION',
    '', '[outbound]', 'srv01-' || (1735689600 + $n) || '.' || $n, 'srv01-' || (1735689600 + $n) || '.' || $n, 'OUT', 'srv01'"
}
cdr_insert_sqlite() {
  local start="datetime(1735689600 + n * 5, 'unixepoch')"
  sqlite3 "$1" "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
    WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $2)
    INSERT INTO cdr ($cdr_cols) SELECT $(cdr_vals n "$start" "$start" "datetime(1735689600 + n * 5 + 30, 'unixepoch')" "$3") FROM c;
    ANALYZE;" >/dev/null
}
cdr_insert_postgres() {
  local start="to_timestamp(1735689600 + n * 5)::timestamp"
  psql -qAt "$1" -c "INSERT INTO cdr ($cdr_cols) SELECT $(cdr_vals n "$start" "$start" "to_timestamp(1735689600 + n * 5 + 30)::timestamp" "$3") FROM generate_series(1, $2) AS g(n)" >/dev/null
  psql -qAt "$1" -c "VACUUM ANALYZE cdr" >/dev/null
}
