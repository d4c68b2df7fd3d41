#!/bin/sh
# make down: stop what make up started, by the PIDs it recorded in
# .state/run/ (and only if each PID still runs the program it started).
# The data stays in .state/ for the next make up; rm -rf .state to reset.
set -eu
cd "$(dirname "$0")/.."
STATE=$(pwd)/.state
. scripts/servers.sh

# stop NAME PROGRAM SIGNAL [SECS]: the API first, then the worker (it finishes the
# jobs in progress), then the servers they use.
stop() {
    f="$STATE/run/$1.pid"
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"; then
        echo "down: stopping $1 (pid $pid)"
        stop_pid "$pid" "$3" "${4:-30}"
    else
        echo "down: $1 (pid $pid) is not running"
    fi
    rm -f "$f"
}
stop api nsjudge-api TERM
stop worker nsjudge-worker TERM 600
stop redis redis-server TERM
stop postgres postgres INT
