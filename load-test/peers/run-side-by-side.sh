#!/usr/bin/env bash
# Runs logwire and the shared peers (../shared/bench/peers) in one go with the shared run-all.sh,
# which looks for peer scripts next to itself: it is run from a scratch directory of symlinks to
# the shared scripts plus logwire.sh (and postgres-query.sh's neighbours are untouched).
# Env: as run-all.sh (N, RUNS, VARIANTS, QUIET_WAIT_S, ...); PEERS defaults to logwire + all shared peers.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="${SHARED_PEERS:-$ROOT/../shared/bench/peers}"
[ -x "$SHARED/run-all.sh" ] || { echo "no $SHARED/run-all.sh (the shared peer scripts)" >&2; exit 1; }
SCRATCH="$(mktemp -d /tmp/logwire-peers.XXXXXX)"
trap 'rm -rf "$SCRATCH"' EXIT
for f in "$SHARED"/*; do ln -s "$f" "$SCRATCH/$(basename "$f")"; done
ln -s "$HERE/logwire.sh" "$SCRATCH/logwire.sh"
export PEERS="${PEERS:-logwire rsyslog-tls syslog-ng-tls kafka postgres-tls}"
"$SCRATCH/run-all.sh"
