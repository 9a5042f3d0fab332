#!/usr/bin/env bash
# Peer: logwire itself, in the format of ../shared/bench/peers (README "Adding the product").
# Starts the logwire server jar on 127.0.0.1 with the shared self-signed certificate, loads the
# shared CSV (the same N entries every peer gets) with `logwire-bench ingest --file` (the client
# library; file reading, JVM start, TLS handshakes and HELLO are untimed), times first UPLOAD sent ->
# last UPLOAD_OK, checks the store grew by exactly N, stops the server by PID, prints one line:
#   peer=logwire-tls entries=N seconds=.. entries_per_s=.. status=ok durability=fsync-before-ack ...
# UPLOAD_OK is sent only after the entries are fsynced (--fsync always, the server's default), so
# FSYNC=0 and FSYNC=1 run the same durable configuration (the name gets -fsync for FSYNC=1).
# The JVMs are measured warm, as a long-running service runs: LOGWIRE_PEER_WARMUP generated
# entries (not the shared CSV) are uploaded untimed first, so the JIT has compiled the hot paths
# (the native peers need no warm-up); LOGWIRE_PEER_WARMUP=0 measures them cold. 8M entries (about 3 s)
# because on two cores C2 keeps compiling for seconds: after 2M the same run gave 2.2-2.4M/s, after
# 8M 3.1-3.7M/s (docs/benchmarks.md, 2026-12-06 later).
# Env: N, FSYNC, PEERS_TMP, LOGWIRE_PEER_PORT (16517), LOGWIRE_PEER_CONNECTIONS (8),
#      LOGWIRE_PEER_BATCH (1000), LOGWIRE_PEER_IN_FLIGHT (4), LOGWIRE_PEER_FSYNC (always|batch|never),
#      LOGWIRE_PEER_WARMUP (8000000), LOGWIRE_SERVER_JAVA_OPTS, LOGWIRE_BENCH_JAVA_OPTS.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="${SHARED_PEERS:-$ROOT/../shared/bench/peers}"
if [ -f "$SHARED/lib/common.sh" ]; then
  # shellcheck source=/dev/null
  source "$SHARED/lib/common.sh"
else
  # Stand-alone (a clone without ../shared): the few helpers this script needs.
  PEERS_TMP="${PEERS_TMP:-/tmp/peers}"; N="${N:-1000000}"; FSYNC="${FSYNC:-0}"; HOST=127.0.0.1
  CERT_DIR="$PEERS_TMP/certs"; DATA_CSV="$PEERS_TMP/data/logwire-gen-$N.csv"; mkdir -p "$PEERS_TMP"
  log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "${PEER:-peers}" "$*" >&2; }
  die() { log "ERROR: $*"; exit 1; }
  STARTED_PIDS=()
  track_pid() { STARTED_PIDS+=("$1"); }
  stop_pid() {
    local pid="$1" grace="${2:-20}" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  }
  cleanup_started() { local p; for p in "${STARTED_PIDS[@]:-}"; do [ -n "$p" ] && stop_pid "$p" 20; done; STARTED_PIDS=(); }
  trap cleanup_started EXIT
  port_in_use() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
  require_free_port() { local p; for p in "$@"; do port_in_use "$p" && die "port $p is already in use"; done; return 0; }
  wait_listen() {
    local port="$1" pid="$2" secs="${3:-60}" i
    for ((i = 0; i < secs * 10; i++)); do
      port_in_use "$port" && return 0
      kill -0 "$pid" 2>/dev/null || die "process $pid exited before listening on $port"
      sleep 0.1
    done
    die "nothing listening on $HOST:$port after ${secs}s"
  }
  ensure_base() { command -v java >/dev/null || die "java not found (need JDK 17+)"; }
  ensure_certs() {
    mkdir -p "$CERT_DIR"
    [ -s "$CERT_DIR/server.crt" ] && [ -s "$CERT_DIR/server.key" ] && return 0
    openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      -keyout "$CERT_DIR/server.key" -out "$CERT_DIR/server.crt" 2>/dev/null
    chmod 600 "$CERT_DIR/server.key"
  }
  ensure_tools() { :; }
  ensure_data() {
    mkdir -p "$(dirname "$DATA_CSV")"
    # Same 8 columns, no header, like the shared PeerTools gen-csv (but logwire-bench's data).
    [ -s "$DATA_CSV" ] || "$ROOT/bin/logwire-bench" generate -n "$N" --marker 10.2.3.29 2>/dev/null | tail -n +2 >"$DATA_CSV"
  }
fi

PEER=logwire-tls
[ "$FSYNC" = 1 ] && PEER=logwire-tls-fsync
PORT="${LOGWIRE_PEER_PORT:-16517}"
CONNS="${LOGWIRE_PEER_CONNECTIONS:-8}"
BATCH="${LOGWIRE_PEER_BATCH:-1000}"
INFLIGHT="${LOGWIRE_PEER_IN_FLIGHT:-4}"
SERVER_FSYNC="${LOGWIRE_PEER_FSYNC:-always}"
W="$PEERS_TMP/logwire"

ensure_base
ensure_certs
ensure_tools
ensure_data
require_free_port "$PORT"

SERVER_JAR="$ROOT/server-app/target/logwire-server.jar"
BENCH_JAR="$ROOT/load-test/target/logwire-bench.jar"
if [ ! -f "$SERVER_JAR" ] || [ ! -f "$BENCH_JAR" ]; then
  log "building the server and logwire-bench jars"
  (cd "$ROOT" && mvn -q -B -DskipTests -pl server-app,load-test -am package) >&2
fi

# untimed: the CLI's CSV wants the header row the shared CSV leaves out
INPUT="$PEERS_TMP/data/$(basename "$DATA_CSV" .csv).logwire.csv"
if [ ! -s "$INPUT" ] || [ "$DATA_CSV" -nt "$INPUT" ]; then
  { echo "username,IP,port,accessTime,dataSent,dataReceived,score,server"; cat "$DATA_CSV"; } >"$INPUT"
fi

rm -rf "$W" && mkdir -p "$W"
log "starting logwire server on $HOST:$PORT (TLS with $CERT_DIR/server.crt, fsync $SERVER_FSYNC)"
# shellcheck disable=SC2086
java ${LOGWIRE_SERVER_JAVA_OPTS:-} -jar "$SERVER_JAR" --bind "$HOST" --port "$PORT" --data-dir "$W/data" \
  --tls-cert "$CERT_DIR/server.crt" --tls-key "$CERT_DIR/server.key" --fsync "$SERVER_FSYNC" >"$W/server.log" 2>&1 &
SERVER_PID=$!
track_pid "$SERVER_PID"
wait_listen "$PORT" "$SERVER_PID" 60

log "loading $N entries: $CONNS connections x batch $BATCH x in-flight $INFLIGHT"
# shellcheck disable=SC2086
LINE="$(java ${LOGWIRE_BENCH_JAVA_OPTS:--Xmx6g} -jar "$BENCH_JAR" ingest --host "$HOST" --port "$PORT" \
  --ca "$CERT_DIR/server.crt" --file "$INPUT" -c "$CONNS" -b "$BATCH" --in-flight "$INFLIGHT" \
  --warmup-entries "${LOGWIRE_PEER_WARMUP:-8000000}" --max-seconds "${TIMEOUT_S:-600}" --no-progress --peer "$PEER" | tee "$W/bench.out" | grep '^peer=' | tail -1)" || true
stop_pid "$SERVER_PID" 30
[ -n "$LINE" ] || { cat "$W/bench.out" >&2; die "logwire-bench printed no result"; }
echo "$LINE server_fsync=$SERVER_FSYNC"
[ "${KEEP_OUTPUT:-0}" = 1 ] || rm -rf "$W/data"
case "$LINE" in *" status=ok "*) exit 0 ;; *) cat "$W/bench.out" >&2; exit 1 ;; esac
