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
    # Ready means accepting connections, not merely a pid file: a server killed with the
    # previous session leaves one behind (and may linger briefly as a zombie).
    ready() { "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -U postgres -q; }
    if ready; then
      echo "$URL"; exit 0
    fi
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
      mkdir -p "$PGDATA_DIR"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDATA_DIR"
      as_postgres "$BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres --no-sync >/dev/null
    fi
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid")
        state=$(ps -p "$pid" -o stat=,comm= 2>/dev/null || true)
        case "$state" in
          Z*|"") rm -f "$PGDATA_DIR/postmaster.pid" ;;          # dead or a zombie: a stale lock
          *postgres*) sleep 0.5; ready && break; continue ;;  # a live server still starting
        esac
      fi
      # Tuned for a test machine: durability stays on (fsync, synchronous_commit) so figures are honest.
      if as_postgres "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 60 \
        -o "-p $PORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c max_connections=500 -c shared_buffers=256MB -c max_wal_size=2GB" start >/dev/null 2>&1; then
        break
      fi
      sleep 0.5
    done
    ready || { echo "PostgreSQL did not start on port $PORT:" >&2; tail -n 20 "$PGDATA_DIR/server.log" >&2; exit 1; }
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
