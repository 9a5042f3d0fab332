#!/usr/bin/env bash
# A two-shard ClickHouse cluster on 127.0.0.1 for development and tests (docs/scale-out.md).
#
#   scripts/clickhouse-dev-cluster.sh install-if-missing | start | stop | status | stop-shard N | start-shard N
#
# Two clickhouse-server processes, shard 1 and shard 2, each with its own HTTP, TCP and
# interserver ports and its own data directory under $LOGWIRE_CH_DIR
# (default /tmp/logwire-clickhouse). Both know the cluster "logwire_dev" of the two shards
# (remote_servers). Idempotent: start leaves running shards alone, stop stops only the
# processes this script started (their PIDs are in the shard directories).
#
# Ports (shard N = 1 or 2): HTTP $LOGWIRE_CH_HTTP_BASE+N-1 (default 18123, 18124),
# TCP $LOGWIRE_CH_TCP_BASE+N-1 (19000, 19001), interserver 19009+N-1.
set -euo pipefail

DIR=${LOGWIRE_CH_DIR:-/tmp/logwire-clickhouse}
HTTP_BASE=${LOGWIRE_CH_HTTP_BASE:-18123}
TCP_BASE=${LOGWIRE_CH_TCP_BASE:-19000}
INTERSERVER_BASE=${LOGWIRE_CH_INTERSERVER_BASE:-19009}
CLUSTER=logwire_dev

http_port() { echo $((HTTP_BASE + $1 - 1)); }
tcp_port() { echo $((TCP_BASE + $1 - 1)); }

install_if_missing() {
    if command -v clickhouse-server >/dev/null 2>&1; then
        return 0
    fi
    echo "installing clickhouse-server (Debian package)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server >/dev/null
    fi
}

pid_of() {
    local pidfile="$DIR/shard$1/clickhouse.pid"
    [ -f "$pidfile" ] || return 1
    local pid
    pid=$(cat "$pidfile")
    # Only a clickhouse process that this script started (its command line names our config).
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$DIR/shard$1/config.xml"; then
        echo "$pid"
        return 0
    fi
    return 1
}

write_config() {
    local n=$1 d="$DIR/shard$1"
    mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/log" "$d/format_schemas"
    cat >"$d/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$d/log/clickhouse-server.log</log>
        <errorlog>$d/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$(http_port "$n")</http_port>
    <tcp_port>$(tcp_port "$n")</tcp_port>
    <interserver_http_port>$((INTERSERVER_BASE + n - 1))</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$d/data/</path>
    <tmp_path>$d/tmp/</tmp_path>
    <user_files_path>$d/user_files/</user_files_path>
    <format_schema_path>$d/format_schemas/</format_schema_path>
    <users_config>$d/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <remote_servers>
        <$CLUSTER>
            <shard>
                <replica><host>127.0.0.1</host><port>$(tcp_port 1)</port></replica>
            </shard>
            <shard>
                <replica><host>127.0.0.1</host><port>$(tcp_port 2)</port></replica>
            </shard>
        </$CLUSTER>
    </remote_servers>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
XML
    cat >"$d/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval><duration>3600</duration><queries>0</queries><errors>0</errors>
                <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
        </default>
    </quotas>
</yandex>
XML
}

ping() {
    curl -fsS --max-time 2 "http://127.0.0.1:$(http_port "$1")/ping" >/dev/null 2>&1
}

start_shard() {
    local n=$1 d="$DIR/shard$1"
    if pid_of "$n" >/dev/null; then
        echo "shard $n already running (pid $(pid_of "$n"), http $(http_port "$n"))"
        return 0
    fi
    if ping "$n"; then
        echo "port $(http_port "$n") already answers but not a shard this script started; refusing" >&2
        return 1
    fi
    write_config "$n"
    nohup clickhouse-server --config-file="$d/config.xml" >"$d/log/stdout.log" 2>&1 &
    echo $! >"$d/clickhouse.pid"
    for _ in $(seq 1 120); do
        if ping "$n"; then
            echo "shard $n started (pid $(cat "$d/clickhouse.pid"), http $(http_port "$n"), tcp $(tcp_port "$n"))"
            return 0
        fi
        if ! kill -0 "$(cat "$d/clickhouse.pid")" 2>/dev/null; then
            echo "shard $n exited during start-up; see $d/log/" >&2
            tail -20 "$d/log/clickhouse-server.err.log" >&2 || true
            return 1
        fi
        sleep 0.5
    done
    echo "shard $n did not answer /ping within 60s; see $d/log/" >&2
    return 1
}

stop_shard() {
    local n=$1 pid
    if ! pid=$(pid_of "$n"); then
        echo "shard $n not running"
        rm -f "$DIR/shard$n/clickhouse.pid"
        return 0
    fi
    kill "$pid"
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
    fi
    rm -f "$DIR/shard$n/clickhouse.pid"
    echo "shard $n stopped"
}

status() {
    local rc=0
    for n in 1 2; do
        if pid=$(pid_of "$n") && ping "$n"; then
            echo "shard $n running (pid $pid, http http://127.0.0.1:$(http_port "$n"), tcp $(tcp_port "$n"))"
        else
            echo "shard $n not running"
            rc=3
        fi
    done
    return $rc
}

case "${1:-}" in
    install-if-missing) install_if_missing ;;
    start) install_if_missing; start_shard 1; start_shard 2 ;;
    stop) stop_shard 2; stop_shard 1 ;;
    status) status ;;
    start-shard) start_shard "${2:?shard number 1 or 2}" ;;
    stop-shard) stop_shard "${2:?shard number 1 or 2}" ;;
    *)
        echo "usage: $0 install-if-missing | start | stop | status | start-shard N | stop-shard N" >&2
        exit 2
        ;;
esac
