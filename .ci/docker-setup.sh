#!/usr/bin/env bash
# Prepares a Docker engine for the container tests (docker/src/test/.../*IT.java) on a CI machine
# that has none running and cannot reach Docker Hub: installs Debian's docker.io if missing, starts
# dockerd without bridge networking if its socket does not answer, and builds the local base image
# (docker/base-image.sh) if it is missing. Idempotent: run it twice and the second run only checks.
# Nothing is left attached to this shell: dockerd runs detached (setsid, stdio redirected) and
# logs to $LOGWIRE_DOCKERD_LOG.
set -euo pipefail
cd "$(dirname "$0")/.."

log="${LOGWIRE_DOCKERD_LOG:-/var/log/logwire-dockerd.log}"
sock=/var/run/docker.sock
# Debian's client (20.10) matches the daemon; a newer client elsewhere on the PATH may lack buildx.
docker=/usr/bin/docker

say() { echo "docker-setup: $*" >&2; }

answers() { [ -S "$sock" ] && timeout 10 "$docker" version >/dev/null 2>&1; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v docker >/dev/null 2>&1 && docker version >/dev/null 2>&1; then
    say "not root, but a Docker engine answers; using it"
    DOCKER="$(command -v docker)" exec bash docker/base-image.sh
  else
    say "not root and no Docker engine answers: the container tests will be skipped"
    exit 0
  fi
fi

if [ ! -x /usr/sbin/dockerd ] || [ ! -x /usr/bin/docker ]; then
  say "installing docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq docker.io </dev/null >/dev/null
fi

if answers; then
  say "Docker engine already running"
else
  say "starting dockerd (no bridge, no iptables; containers use host networking), log in $log"
  # A stale pid file from a daemon that died would stop a new one from starting.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  # containerd may still be running from an earlier daemon; dockerd starts its own otherwise.
  setsid nohup /usr/sbin/dockerd --iptables=false --bridge=none </dev/null >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    answers && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if ! answers; then
    say "dockerd did not answer within 60 s; last lines of $log:"
    tail -n 30 "$log" >&2 || true
    exit 1
  fi
  say "dockerd is up"
fi

# Earlier runs' test images become untagged when the tests tag a new one: drop those (only
# dangling images, never the base image or anything tagged).
"$docker" image prune -f >/dev/null 2>&1 || true

DOCKER="$docker" bash docker/base-image.sh
