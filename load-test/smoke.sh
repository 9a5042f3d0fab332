#!/usr/bin/env bash
# Smoke test of logwire-bench: starts a server jar on 127.0.0.1 (free port, temporary data dir),
# runs every scenario briefly, checks exit codes and lost = duplicated = 0, stops the server by PID.
# Exits non-zero on any failure. Needs the jars (built here if missing). Takes about a minute.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_JAR="$ROOT/server-app/target/logwire-server.jar"
BENCH_JAR="$ROOT/load-test/target/logwire-bench.jar"
CLI_JAR="$ROOT/client-app/target/logwire.jar"
if [ ! -f "$SERVER_JAR" ] || [ ! -f "$BENCH_JAR" ] || [ ! -f "$CLI_JAR" ]; then
  (cd "$ROOT" && mvn -q -B -DskipTests -pl server-app,client-app,load-test -am package) || exit 1
fi
WORK="$(mktemp -d /tmp/logwire-bench-smoke.XXXXXX)"
SERVER_PID=""
FAILED=0
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
START=$(date +%s)

java -Xmx512m -jar "$SERVER_JAR" --bind 127.0.0.1 --port 0 --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 600); do
  PORT="$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)"
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "smoke: the server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1; }
CONN=(--host 127.0.0.1 --port "$PORT" --ca "$WORK/data/tls/server.crt" --max-seconds 60 --no-progress)

# check NAME EXPECTED-IN-JSON... -- ARGS: runs logwire-bench ARGS --json, wants exit 0 and each pattern in the JSON
check() {
  local name="$1"; shift
  local want=()
  while [ "$1" != "--" ]; do want+=("$1"); shift; done
  shift
  local t0=$SECONDS rc pat
  java -Xmx1g -jar "$BENCH_JAR" "$@" --json >"$WORK/$name.json" 2>"$WORK/$name.err"
  rc=$?
  local ok=1
  [ "$rc" = 0 ] || ok=0
  for pat in '"status" : "ok"' "${want[@]}"; do
    grep -q -- "$pat" "$WORK/$name.json" || { ok=0; echo "smoke: $name: missing $pat" >&2; }
  done
  if [ "$ok" = 1 ]; then
    echo "smoke: $name ok ($((SECONDS - t0)) s): $(head -c 400 "$WORK/$name.err" | grep -v '^load average' | head -2 | tr '\n' ' ')"
  else
    echo "smoke: $name FAILED (exit $rc)" >&2
    cat "$WORK/$name.err" >&2
    FAILED=1
  fi
}

check ingest '"lost" : 0' '"duplicated" : 0' '"p99.9"' -- ingest "${CONN[@]}" -n 40000 -c 4 -b 500 --in-flight 4
check ingest-duration '"lost" : 0' '"duplicated" : 0' -- ingest "${CONN[@]}" -n 0 --duration 2 -c 2 -b 200 --entry-size 64-256 --rate 40000
check query '"lost" : 0' '"selectivityPercent" : 50.0' -- query "${CONN[@]}" --load 20000 --repeat 1
check echo-open '"mode" : "open"' -- echo "${CONN[@]}" --rate 500 --duration 2 --warmup 1
check echo-closed '"mode" : "closed"' -- echo "${CONN[@]}" --rate 0 --concurrency 2 --duration 2 --warmup 0
check connections '"opened" : 100' -- connections "${CONN[@]}" -n 100 --hold 1 --server-pid "$SERVER_PID"
check tls-ceiling '"megabytesPerSecond"' -- tls-ceiling --duration 2 --warmup 1 --max-seconds 60
check generate '"written" : 2000' -- generate -n 2000 -o "$WORK/gen.csv" --marker smoke-gen --max-seconds 60

# The generated file must be what `logwire upload` reads.
if java -jar "$CLI_JAR" --host 127.0.0.1 --port "$PORT" --ca "$WORK/data/tls/server.crt" upload "$WORK/gen.csv" \
    >"$WORK/upload.out" 2>&1 && grep -q "uploaded 2000 entries" "$WORK/upload.out"; then
  echo "smoke: generate -> logwire upload ok"
else
  echo "smoke: generate -> logwire upload FAILED" >&2; cat "$WORK/upload.out" >&2; FAILED=1
fi
# And a file upload through the tool with the count check.
check ingest-file '"lost" : 0' '"duplicated" : 0' -- ingest "${CONN[@]}" --file "$WORK/gen.csv" -c 2 -b 500

# Protocol version 2: exactly-once under connection cuts, compression per codec.
check chaos '"lost" : 0' '"duplicated" : 0' -- chaos "${CONN[@]}" -n 20000 -b 500 --cut-every 100
check compression '"lz4"' '"zstd"' '"ratio"' -- compression "${CONN[@]}" -n 20000 -b 1000
# TAIL (ack -> delivery latency, order) and AGGREGATE (count must equal the store's).
check tail-latency '"outOfOrder" : 0' '"p99"' -- tail-latency "${CONN[@]}" --duration 2 --rate 100 -b 10
check agg '"counted"' -- agg "${CONN[@]}" --load 20000 --repeat 1

# A run that cannot connect must fail (exit 3), not pass.
java -jar "$BENCH_JAR" echo --host 127.0.0.1 --port 1 --plaintext --duration 1 --max-seconds 20 >/dev/null 2>&1
rc=$?
if [ "$rc" = 3 ]; then echo "smoke: unreachable server -> exit 3 ok"; else echo "smoke: unreachable server gave exit $rc, want 3" >&2; FAILED=1; fi

kill -0 "$SERVER_PID" 2>/dev/null || { echo "smoke: the server died" >&2; FAILED=1; }
echo "smoke: $([ "$FAILED" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - START)) s"
exit "$FAILED"
