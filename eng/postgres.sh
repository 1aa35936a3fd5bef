#!/usr/bin/env bash
# A private PostgreSQL cluster on loopback for the tests: ./eng/postgres.sh start|stop|url
# Data lives in $COORDINATOR_PGDATA (default /tmp/coordinator-pg); the port is $COORDINATOR_PGPORT (default 55432).
set -euo pipefail
PGDATA_DIR=${COORDINATOR_PGDATA:-/tmp/coordinator-pg}
PORT=${COORDINATOR_PGPORT:-55432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
URL="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50"

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    [ -n "$BIN" ] || { echo "PostgreSQL server binaries not found; install the 'postgresql' package." >&2; exit 1; }
    if as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
      echo "$URL"; exit 0
    fi
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
      mkdir -p "$PGDATA_DIR"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDATA_DIR"
      as_postgres "$BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres --no-sync >/dev/null
    fi
    # Tuned for a test machine: durability stays on (fsync, synchronous_commit) so figures are honest.
    as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 60 \
      -o "-p $PORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB -c max_wal_size=2GB" start >/dev/null
    echo "$URL"
    ;;
  stop)
    [ -n "$BIN" ] && as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
    ;;
  url)
    echo "$URL"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
