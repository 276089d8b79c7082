#!/usr/bin/env bash
# start-moto.sh — make sure an AWS API emulator answers on 127.0.0.1:4566.
#
# If something answers there already (a moto server, or LocalStack started with
# docker-compose.yml) it says so and exits 0. Otherwise it starts the moto server in the
# background, records its PID in localstack/.moto.pid (stop-moto.sh stops only that process),
# logs to localstack/.moto.log, and waits until it is ready.
#
# Environment: MOTO_HOST (127.0.0.1), MOTO_PORT (4566), MOTO_SERVER (the moto_server program;
# default: the pyenv Python 3.11.7 install, then moto_server on PATH), MOTO_START_TIMEOUT
# (seconds, 30).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
host="${MOTO_HOST:-127.0.0.1}"
port="${MOTO_PORT:-4566}"
timeout="${MOTO_START_TIMEOUT:-30}"
pidfile="$here/.moto.pid"
logfile="$here/.moto.log"
base="http://$host:$port"

# answers reports whether moto or LocalStack is ready on the port. For moto it asks for the
# dashboard page, which is static: /moto-api/data.json dumps every object moto has ever made
# and takes seconds once tests have run.
answers() {
	curl -fsS -o /dev/null --max-time 2 "$base/moto-api/" 2>/dev/null ||
		curl -fsS -o /dev/null --max-time 2 "$base/_localstack/health" 2>/dev/null
}

if ! command -v curl >/dev/null 2>&1; then
	echo "start-moto.sh: curl is needed to check the endpoint (apt-get install curl)" >&2
	exit 1
fi

if answers; then
	echo "start-moto.sh: an AWS endpoint already answers on $base; not starting moto"
	exit 0
fi

# A PID file whose process is gone is left over from an earlier run.
if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
	rm -f "$pidfile"
fi
if [[ -f "$pidfile" ]]; then
	echo "start-moto.sh: moto (PID $(cat "$pidfile")) is running but does not answer on $base; see $logfile" >&2
	exit 1
fi

server="${MOTO_SERVER:-}"
if [[ -z "$server" ]]; then
	# The absolute path first: the moto_server on PATH may be a pyenv shim that a clean
	# environment (CI) cannot resolve.
	if [[ -x "$HOME/.pyenv/versions/3.11.7/bin/moto_server" ]]; then
		server="$HOME/.pyenv/versions/3.11.7/bin/moto_server"
	elif command -v moto_server >/dev/null 2>&1; then
		server="$(command -v moto_server)"
	else
		echo "start-moto.sh: no moto_server found (looked at $HOME/.pyenv/versions/3.11.7/bin/moto_server and PATH)." >&2
		echo "  Install it with: pip install 'moto[server]'  (or set MOTO_SERVER=/path/to/moto_server)," >&2
		echo "  or start LocalStack with: docker compose -f localstack/docker-compose.yml up -d" >&2
		exit 1
	fi
fi

echo "start-moto.sh: starting $server on $base (log: $logfile)"
nohup "$server" -H "$host" -p "$port" >"$logfile" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"

for ((i = 0; i < timeout * 10; i++)); do
	if answers; then
		echo "start-moto.sh: moto is ready on $base (PID $pid)"
		exit 0
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		rm -f "$pidfile"
		echo "start-moto.sh: moto exited before it was ready; last lines of $logfile:" >&2
		tail -n 20 "$logfile" >&2 || true
		exit 1
	fi
	sleep 0.1
done
echo "start-moto.sh: moto (PID $pid) not ready on $base after ${timeout}s; stopping it; see $logfile" >&2
kill "$pid" 2>/dev/null || true
rm -f "$pidfile"
exit 1
