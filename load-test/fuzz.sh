#!/usr/bin/env bash
# Network fuzz run (docs/security.md "Fuzzing"): starts a server jar on 127.0.0.1 (free port,
# temporary data dir, -Xmx256m, paranoid leak detection), runs `logwire-bench fuzz` against it
# over TLS, then checks that the bench verified the server's answers (exit 0), that the server
# is still running, and that its log has no LEAK report. Arguments go to `logwire-bench fuzz`
# (default: -n 30000 -c 4 --max-seconds 45, the CI smoke run). The long run:
#   bash load-test/fuzz.sh -n 1000000 -c 8 --max-seconds 1800
# Exits non-zero on any failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_JAR="$ROOT/server-app/target/logwire-server.jar"
BENCH_JAR="$ROOT/load-test/target/logwire-bench.jar"
if [ ! -f "$SERVER_JAR" ] || [ ! -f "$BENCH_JAR" ]; then
  (cd "$ROOT" && mvn -q -B -DskipTests -pl server-app,load-test -am package) || exit 1
fi
ARGS=("$@")
[ ${#ARGS[@]} -gt 0 ] || ARGS=(-n 30000 -c 4 --max-seconds 45)
WORK="$(mktemp -d /tmp/logwire-fuzz.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${KEEP_FUZZ_LOG:-}" != "" ]; then echo "fuzz: logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
START=$(date +%s)
java -Xmx256m -Dio.netty.leakDetection.level=paranoid -Dio.netty.leakDetectionLevel=paranoid \
  -jar "$SERVER_JAR" --bind 127.0.0.1 --port 0 --data-dir "$WORK/data" --fsync never ${SERVER_ARGS:-} >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 600); do
  PORT="$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -1)"
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "fuzz: the server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1; }
CONN=(--host 127.0.0.1 --port "$PORT" --ca "$WORK/data/tls/server.crt" --no-progress)
FAILED=0
java -Xmx512m -jar "$BENCH_JAR" fuzz "${CONN[@]}" "${ARGS[@]}" --json >"$WORK/fuzz.json" 2>"$WORK/fuzz.err"
rc=$?
cat "$WORK/fuzz.err" | grep -v '^load average' >&2
if [ "$rc" != 0 ] || ! grep -q '"verified" : true' "$WORK/fuzz.json"; then
  echo "fuzz: the fuzz run FAILED (exit $rc)" >&2; cat "$WORK/fuzz.json" >&2; FAILED=1
fi
kill -0 "$SERVER_PID" 2>/dev/null || { echo "fuzz: the server died" >&2; FAILED=1; }
# Leaks are reported when a leaked buffer is garbage-collected and a later allocation looks:
# collect, then make the server allocate again.
if kill -0 "$SERVER_PID" 2>/dev/null; then
  jcmd "$SERVER_PID" GC.run >/dev/null 2>&1 || true
  sleep 1
  java -jar "$BENCH_JAR" echo "${CONN[@]}" --rate 0 --duration 2 --warmup 0 --max-seconds 30 >/dev/null 2>&1 \
    || { echo "fuzz: ECHO after the run failed" >&2; FAILED=1; }
  HEAP="$(jcmd "$SERVER_PID" GC.heap_info 2>/dev/null | head -2 | tr -s ' \n' ' ')"
  echo "fuzz: server heap after the run: ${HEAP:-unknown} (limit -Xmx256m)"
fi
if grep -q "LEAK" "$WORK/server.log"; then
  echo "fuzz: the server log reports a buffer LEAK:" >&2; grep -A20 "LEAK" "$WORK/server.log" | head -60 >&2; FAILED=1
fi
if grep -q "OutOfMemoryError" "$WORK/server.log"; then echo "fuzz: the server ran out of memory" >&2; FAILED=1; fi
ERRORS=$(grep -c " ERROR " "$WORK/server.log" || true)
echo "fuzz: server log: $(wc -l <"$WORK/server.log") lines, $ERRORS at ERROR level"
[ "$ERRORS" = 0 ] || { grep " ERROR " "$WORK/server.log" | head -20 >&2; FAILED=1; }
echo "fuzz: $([ "$FAILED" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - START)) s"
exit "$FAILED"
