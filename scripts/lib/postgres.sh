# A throw-away PostgreSQL server on a free loopback port, data in a temp dir, trust auth
# (sourced by scripts/test and the benchmarks, not run). It is stopped and removed on exit,
# failure included.
#
#   pg_start "SERVER OPTIONS"   e.g. "-c fsync=off"; sets PG_DSN (key=value, user cardcore,
#                               dbname postgres) and PG_BIN
#   pg_stop                     stops and removes it (also run on EXIT)

PG_DIR=""
PG_BIN=""
PG_DSN=""

# As root the server runs as the postgres user (initdb and postgres refuse root).
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_stop() {
  if [[ -n $PG_DIR ]]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
  local options=${1:-}
  for d in "${PGBIN:-}" /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [[ -n $d && -x $d/initdb ]]; then PG_BIN=$d; break; fi
  done
  if [[ -z $PG_BIN ]]; then
    echo "postgres: no PostgreSQL server binaries (scripts/setup installs postgresql)" >&2
    return 1
  fi
  PG_DIR=$(mktemp -d /tmp/cardcore-pg-XXXXXX)
  trap pg_stop EXIT
  trap 'exit 130' INT TERM
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PG_DIR"; fi
  chmod 700 "$PG_DIR"
  if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U cardcore -E UTF8 --no-sync \
       >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    return 1
  fi
  # Another process may take the port between picking and binding it: try a few.
  local port
  for _ in 1 2 3 4 5; do
    port=$(pg_free_port)
    if pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
         -o "-k $PG_DIR -p $port -c listen_addresses=127.0.0.1 $options" start >/dev/null 2>&1; then
      PG_DSN="host=127.0.0.1 port=$port user=cardcore dbname=postgres"
      return 0
    fi
  done
  cat "$PG_DIR/server.log" >&2
  return 1
}
