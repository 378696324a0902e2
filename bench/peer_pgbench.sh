#!/usr/bin/env bash
# The peer: what a partner would build instead of cardcore, one PostgreSQL transaction per
# authorization (bench/peer/authorize.sql: conditional balance update + hold insert +
# transaction insert), driven by pgbench on a throw-away PostgreSQL with fsync and
# synchronous_commit on, in the same run as cardcore's figures.
#
# Environment (defaults): DURATION=10 CLIENTS=16 CARDS=64
# Prints one line on stdout: RESULT peer=pgbench clients=16 seconds=10 tps=... latency_ms=...
# (pgbench's average latency) and pgbench's own summary on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-16}
CARDS=${CARDS:-64}
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh
command -v pgbench >/dev/null || [[ -x /usr/lib/postgresql/15/bin/pgbench ]] ||
  { echo "peer_pgbench: pgbench is not installed (scripts/setup installs postgresql)" >&2; exit 1; }
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)

pg_start "-c fsync=on -c synchronous_commit=on -c max_connections=100"
psql "$PG_DSN" -q -v ON_ERROR_STOP=1 -v cards="$CARDS" -f bench/peer/schema.sql >/dev/null
out=$("$PGBENCH" "$PG_DSN" -n -c "$CLIENTS" -j 2 -T "$DURATION" -D cards="$CARDS" -f bench/peer/authorize.sql 2>&1) || {
  echo "$out" >&2
  exit 1
}
echo "$out" >&2
tps=$(grep -o 'tps = [0-9.]*' <<<"$out" | head -n1 | cut -d' ' -f3)
lat=$(grep -o 'latency average = [0-9.]*' <<<"$out" | cut -d' ' -f4)
rows=$(psql "$PG_DSN" -Atc "SELECT COUNT(*) FROM peer_transactions")
echo "RESULT peer=pgbench clients=$CLIENTS seconds=$DURATION tps=$tps latency_ms=$lat transactions=$rows"
