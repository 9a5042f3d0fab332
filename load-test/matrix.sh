#!/usr/bin/env bash
# The results matrix of docs/benchmarks.md, one scenario after another on this machine:
#   ingest at 1/8/64 connections x batch 100/1000, with TLS and without (a --plaintext server),
#   query at 0.01/1/50/100 % over 1M entries, echo latency (open and closed loop).
# Each ingest row runs against a fresh server (fsync always, the default) after a warm-up and is
# checked end to end (lost = duplicated = 0, or the tool exits 1 and so does this script).
# Env: N (entries per ingest run, 2000000), WARMUP (500000), OUT (directory for each run's full output,
# /tmp/logwire-matrix), PORT (7460), LOGWIRE_SERVER_JAVA_OPTS. Needs the jars: mvn -DskipTests package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-2000000}"
WARMUP="${WARMUP:-500000}"
OUT="${OUT:-/tmp/logwire-matrix}"
PORT="${PORT:-7460}"
BENCH=(java -Xmx4g -jar "$ROOT/load-test/target/logwire-bench.jar")
mkdir -p "$OUT"
# shellcheck source=lib/server.sh
. "$ROOT/load-test/lib/server.sh"

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
for tls in on off; do
  for c in 1 8 64; do
    for b in 100 1000; do
      if [ "$tls" = on ]; then
        start_server "$OUT/data"; conn=(--port "$PORT" --ca "$OUT/data/tls/server.crt")
      else
        start_server "$OUT/data" --plaintext; conn=(--port "$PORT" --plaintext)
      fi
      log="$OUT/ingest-tls-$tls-c$c-b$b.log"
      "${BENCH[@]}" ingest --host 127.0.0.1 "${conn[@]}" -n "$N" -c "$c" -b "$b" --in-flight 4 \
        --warmup-entries "$WARMUP" --max-seconds 300 --json >"$log" 2>&1
      grep -E "^ingest|ack latency|^check" "$log" | sed "s/^/[tls $tls, $c x $b] /"
      stop_server
    done
  done
done

start_server "$OUT/data"
conn=(--host 127.0.0.1 --port "$PORT" --ca "$OUT/data/tls/server.crt")
"${BENCH[@]}" query "${conn[@]}" --load 1000000 --repeat 5 --json >"$OUT/query-1m.log" 2>&1
grep -E "^query|^check" "$OUT/query-1m.log"
"${BENCH[@]}" echo "${conn[@]}" --rate 5000 --duration 10 --warmup 2 --json >"$OUT/echo-open.log" 2>&1
grep -E "^echo" "$OUT/echo-open.log" | sed "s/^/[open loop 5000\/s] /"
"${BENCH[@]}" echo "${conn[@]}" --rate 0 --concurrency 16 --duration 10 --warmup 2 --json >"$OUT/echo-closed.log" 2>&1
grep -E "^echo" "$OUT/echo-closed.log" | sed "s/^/[closed loop, 16 outstanding] /"
stop_server
echo "# done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
