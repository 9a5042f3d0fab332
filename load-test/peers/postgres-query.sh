#!/usr/bin/env bash
# Query comparison: PostgreSQL (Debian package, a private throw-away cluster, TLS like
# ../shared/bench/peers/postgres-tls.sh) running the filters `logwire-bench query` runs, on the
# same data: N entries from `logwire-bench generate --seed SEED --marker MARKER` (the generator
# behind `logwire-bench query --load N --seed SEED --marker MARKER`), no indexes (logwire has none
# either). Per selectivity, the best of REPEAT runs of
#   \copy (SELECT * FROM access_log WHERE server = MARKER AND port < K) TO /dev/null
# over TLS (rows are sent to the client, as logwire sends them), and for 100 % the whole table.
# seconds includes psql start + TLS connect (connect_s, measured apart); server_exec_s is the scan
# alone on the server (EXPLAIN ANALYZE, no transfer). Prints one line per selectivity:
#   peer=postgres-query selectivity_pct=1 rows=10000 seconds=.. entries_scanned_per_s=.. ...
# Env: N (1000000), SEED (42), MARKER (pgq), REPEAT (3), SELECTIVITIES ("0.01 1 50 100"),
#      PG_QUERY_PORT (15434), PEERS_TMP; SHARED_PEERS (default ../shared/bench/peers from the repo root).
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="${SHARED_PEERS:-$ROOT/../shared/bench/peers}"
[ -f "$SHARED/lib/common.sh" ] || { echo "postgres-query.sh needs $SHARED/lib/common.sh" >&2; exit 1; }
# shellcheck source=/dev/null
source "$SHARED/lib/common.sh"
PEER=postgres-query
PORT="${PG_QUERY_PORT:-15434}"
SEED="${SEED:-42}"
MARKER="${MARKER:-pgq}"
REPEAT="${REPEAT:-3}"
SELECTIVITIES="${SELECTIVITIES:-0.01 1 50 100}"
W="$PEERS_TMP/pg-query"

ensure_base
apt_install postgresql
ensure_certs
require_free_port "$PORT"
DATA="$PEERS_TMP/data/logwire-gen-$N-seed$SEED-$MARKER.csv"
if [ ! -s "$DATA" ]; then
  log "generating $N entries -> $DATA"
  mkdir -p "$(dirname "$DATA")"
  "$ROOT/bin/logwire-bench" generate -n "$N" --seed "$SEED" --marker "$MARKER" --connections 4 -o "$DATA.tmp" --max-seconds 600 >&2
  tail -n +2 "$DATA.tmp" >"$DATA" && rm -f "$DATA.tmp" # COPY gets no header row
fi

PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PGVER="$("$PGBIN/postgres" --version | awk '{print $3}')"
as_pg() { runuser -u postgres -- "$@"; }
rm -rf "$W" && mkdir -p "$W/sock" && chown -R postgres:postgres "$W"
as_pg "$PGBIN/initdb" -D "$W/data" -U postgres -A trust -E UTF8 --locale=C >"$W/initdb.log" 2>&1 \
  || { cat "$W/initdb.log" >&2; die "initdb failed"; }
install -o postgres -g postgres -m 600 "$CERT_DIR/server.crt" "$W/data/server.crt"
install -o postgres -g postgres -m 600 "$CERT_DIR/server.key" "$W/data/server.key"
cat >>"$W/data/postgresql.conf" <<CONF
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$W/sock'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
CONF
printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n' >"$W/data/pg_hba.conf"
log "starting PostgreSQL $PGVER on $HOST:$PORT (ssl=on)"
as_pg "$PGBIN/pg_ctl" -D "$W/data" -l "$W/server.log" -w -t 60 start >/dev/null
PG_PID="$(head -1 "$W/data/postmaster.pid")"
track_pid "$PG_PID"
CONN="host=$HOST port=$PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$CERT_DIR/server.crt"
q() { psql "$CONN" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
q -c "CREATE TABLE access_log (username text NOT NULL, ip text NOT NULL, port integer NOT NULL,
  access_time bigint NOT NULL, data_sent bigint NOT NULL, data_received bigint NOT NULL, score real NOT NULL,
  server text NOT NULL)"
log "loading $N rows (untimed)"
q -c "\\copy access_log FROM '$DATA' WITH (FORMAT csv)" >/dev/null
q -c "VACUUM ANALYZE access_log" -c "CHECKPOINT" >/dev/null
ROWS_TOTAL="$(q -c "SELECT count(*) FROM access_log")"
[ "$ROWS_TOTAL" = "$N" ] || die "loaded $ROWS_TOTAL rows, expected $N"
SIZE="$(q -c "SELECT pg_size_pretty(pg_total_relation_size('access_log'))" | tr -d ' ')"
PAR="$(q -c "SHOW max_parallel_workers_per_gather")"
# psql start + TLS connect + a trivial query: inside every timed \copy below (logwire's client stays connected)
cbest=""
for _ in 1 2 3; do
  T0=$(now_ns); q -c "SELECT 1" >/dev/null; T1=$(now_ns)
  cbest="$(awk -v a="$cbest" -v b="$(secs_between "$T0" "$T1")" 'BEGIN { print (a == "" || b < a) ? b : a }')"
done
STATUS=0
for s in $SELECTIVITIES; do
  if [ "$s" = 100 ]; then
    where=""
  else
    k="$(awk -v s="$s" 'BEGIN { printf "%d", s * 100 + 0.5 }')"
    where="WHERE server = '$MARKER' AND port < $k"
  fi
  expected="$(awk -v n="$N" -v s="$s" 'BEGIN { printf "%d", n * s / 100 + 0.5 }')"
  best=""
  for _ in $(seq 1 "$REPEAT"); do
    T0=$(now_ns)
    out="$(q -c "\\copy (SELECT * FROM access_log $where) TO '/dev/null'")"
    T1=$(now_ns)
    secs="$(secs_between "$T0" "$T1")"
    best="$(awk -v a="$best" -v b="$secs" 'BEGIN { print (a == "" || b < a) ? b : a }')"
  done
  rows="$(q -c "SELECT count(*) FROM access_log $where")"
  # the scan alone, on the server (no transfer): EXPLAIN ANALYZE's execution time
  exec_ms="$(q -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM access_log $where" | sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p')"
  st=ok; [ "$rows" = "$expected" ] || { st=count_mismatch; STATUS=1; }
  echo "peer=$PEER selectivity_pct=$s rows=$rows seconds=$best entries_scanned_per_s=$(rate "$N" "$best")" \
    "connect_s=$cbest server_exec_s=$(awk -v m="$exec_ms" 'BEGIN { printf "%.4f", m / 1000 }')" \
    "status=$st entries=$N filter=\"$where\" repeat=$REPEAT table_size=$SIZE parallel_workers=$PAR postgres=$PGVER" \
    "load_avg=$(cut -d' ' -f1 /proc/loadavg)"
done
as_pg "$PGBIN/pg_ctl" -D "$W/data" -m fast -w stop >/dev/null || stop_pid "$PG_PID" 30
[ "${KEEP_OUTPUT:-0}" = 1 ] || rm -rf "$W/data"
exit "$STATUS"
