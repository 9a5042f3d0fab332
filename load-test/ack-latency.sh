#!/usr/bin/env bash
# Upload-acknowledgement latency at half of the maximum throughput (issue 5's third target), from
# both ends, with the floors that bound it on this machine:
#   1. a fresh server (fsync always, metrics on); the maximum: a closed-loop run after a warm-up;
#   2. open loop at half that maximum (warm-up at the same rate): the client's ack latency from
#      each batch's due time, and the server's own view from its metrics over the same run
#      (logwire_upload_ack_seconds: request decoded -> acknowledged; logwire_store_fsync_seconds);
#   3. floors: ECHO round trips (no store, no disk) at the same request rate, and the server's
#      ack latency with --fsync never (same shape, no disk wait).
# Env: C (connections, 8), B (batch, 1000), N (entries of the maximum run, 12000000), SECONDS_AT_HALF
# (8), PORT (7470), MPORT (9470), OUT (/tmp/logwire-ack), LOGWIRE_SERVER_JAVA_OPTS (server JVM options,
# e.g. -XX:+UseZGC), LOGWIRE_BENCH_JAVA_OPTS (-Xmx12g: the tool encodes every batch before the clock
# starts only when they fit in half its heap). Needs the jars: mvn -DskipTests package.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
C="${C:-8}"; B="${B:-1000}"; N="${N:-12000000}"; SECONDS_AT_HALF="${SECONDS_AT_HALF:-8}"
PORT="${PORT:-7470}"; MPORT="${MPORT:-9470}"; OUT="${OUT:-/tmp/logwire-ack}"
# shellcheck disable=SC2206
BENCH=(java ${LOGWIRE_BENCH_JAVA_OPTS:--Xmx12g} -jar "$ROOT/load-test/target/logwire-bench.jar")
mkdir -p "$OUT"
# shellcheck source=lib/server.sh
. "$ROOT/load-test/lib/server.sh"

metrics() { curl -fsS "http://127.0.0.1:$MPORT/metrics" >"$OUT/$1.prom"; }

# Share of a histogram's observations between two snapshots at or below each bucket bound, as
# "<=bound: percent" pairs (bounds in ms), plus the count.
histogram_diff() { # metric-name, before.prom, after.prom
  awk -v m="$1_bucket" '
    FNR == 1 { f++ }
    index($0, m "{") == 1 {
      match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5)
      v = $NF; if (f == 1) { b[le] = v } else { a[le] = v; order[n++] = le }
    }
    END {
      total = a["+Inf"] - b["+Inf"]
      if (total <= 0) { print "no observations"; exit }
      line = sprintf("n=%d", total)
      for (i = 0; i < n; i++) {
        le = order[i]; if (le == "+Inf") continue
        ms = le * 1000; if (ms > 25) continue
        line = line sprintf("  <=%gms %.2f%%", ms, 100 * (a[le] - b[le]) / total)
      }
      print line
    }' "$2" "$3"
}

ack_line() { grep -E "^ingest:|ack latency" "$1" | sed 's/^/  /'; }
json_of() { sed -n '/^{/,/^}/p' "$1"; }
pregenerated() { # warns when the tool generated entries during the timed part (heap too small)
  json_of "$1" | grep -q '"pregenerated" *: *true' || echo "  (not pre-encoded: give the tool more heap)"
}

# The open-loop run at $HALF entries/s, between two metrics snapshots; output in $OUT/<name>.log.
at_half() {
  metrics before
  "${BENCH[@]}" ingest --port "$PORT" --ca "$OUT/data/tls/server.crt" -n $((HALF * SECONDS_AT_HALF)) -c "$C" -b "$B" \
    --in-flight 4 --rate "$HALF" --warmup-entries $((HALF * 3)) --no-check --no-progress --json >"$OUT/$1.log" 2>&1
  metrics after
}
report_half() {
  ack_line "$OUT/$1.log"
  pregenerated "$OUT/$1.log"
  echo "  server, request decoded -> acknowledged: $(histogram_diff logwire_upload_ack_seconds "$OUT/before.prom" "$OUT/after.prom")"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $C connections x batch $B, in-flight 4"
start_server "$OUT/data" --metrics-port "$MPORT"
"${BENCH[@]}" ingest --port "$PORT" --ca "$OUT/data/tls/server.crt" -n "$N" -c "$C" -b "$B" --in-flight 4 \
  --warmup-entries 2000000 --no-check --no-progress --json >"$OUT/max.json" 2>"$OUT/max.log"
MAX=$(grep -o '"entriesPerSecond" *: *[0-9]*' "$OUT/max.json" | head -1 | grep -o '[0-9]*$')
HALF=$((MAX / 2))
echo "maximum (closed loop): $MAX entries/s"
ack_line "$OUT/max.log"

at_half half
echo "half the maximum, open loop at $HALF entries/s ($SECONDS_AT_HALF s after a 3 s warm-up at that rate):"
report_half half
echo "  server, fsync:                           $(histogram_diff logwire_store_fsync_seconds "$OUT/before.prom" "$OUT/after.prom")"
REQUESTS=$((HALF / B))
"${BENCH[@]}" echo --port "$PORT" --ca "$OUT/data/tls/server.crt" -c "$C" --rate "$REQUESTS" --size 64 \
  --duration "$SECONDS_AT_HALF" --warmup 3 --no-progress >"$OUT/echo.log" 2>&1
echo "floor 1, ECHO of 64 bytes at the same request rate ($REQUESTS/s over $C connections, no store, no disk):"
grep -E "latency" "$OUT/echo.log" | sed 's/^/  /'
stop_server

start_server "$OUT/data" --metrics-port "$MPORT" --fsync never
at_half never
echo "floor 2, the same open-loop run against a server with --fsync never (no disk wait):"
report_half never
