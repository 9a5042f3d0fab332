# Sourced by the load-test scripts: starts and stops one logwire server on 127.0.0.1.
# The caller sets ROOT, PORT and OUT (its server.log goes there); start_server's arguments are the
# data directory (emptied first) and extra server options; LOGWIRE_SERVER_JAVA_OPTS adds JVM options.
SERVER_JAR="$ROOT/server-app/target/logwire-server.jar"
SERVER_PID=""

start_server() { # data-dir, extra server args...
  local dir="$1"; shift
  rm -rf "$dir"
  # shellcheck disable=SC2086
  java -Xmx4g ${LOGWIRE_SERVER_JAVA_OPTS:-} -jar "$SERVER_JAR" --bind 127.0.0.1 --port "$PORT" --data-dir "$dir" \
    "$@" >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$OUT/server.log" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "server did not start; see $OUT/server.log" >&2
  exit 1
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT
