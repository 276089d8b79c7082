#!/usr/bin/env bash
# stop-moto.sh — stop the moto server that start-moto.sh started, and only that one.
#
# It reads localstack/.moto.pid; without it (moto was not started by start-moto.sh, or
# LocalStack is in use) it does nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pidfile="$here/.moto.pid"

if [[ ! -f "$pidfile" ]]; then
	echo "stop-moto.sh: no $pidfile; nothing to stop"
	exit 0
fi
pid="$(cat "$pidfile")"
# Only a live process that is a moto server: the PID may have been reused since.
if ! kill -0 "$pid" 2>/dev/null || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q moto_server; then
	echo "stop-moto.sh: PID $pid is not a running moto server; removing the stale $pidfile"
	rm -f "$pidfile"
	exit 0
fi
kill "$pid"
for ((i = 0; i < 50; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
echo "stop-moto.sh: stopped moto (PID $pid)"
