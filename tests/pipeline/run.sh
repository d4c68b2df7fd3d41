#!/bin/sh
# End-to-end pipeline test (make pipeline): starts postgres and redis-server
# on random loopback ports under a temporary directory, runs the test binary
# (which starts and stops nsjudge-api and nsjudge-worker processes itself,
# recording their PIDs under $DIR/pids, and restarts redis-server and
# postgres in their own tests), then stops everything it started,
# by PID, and removes the directory.
# Usage: tests/pipeline/run.sh [BUILD [COMMAND ARGS...]]
# COMMAND (default: BUILD/pipeline/test_pipeline) gets the servers through
# the PIPE_* variables below; make live and make browser use it too.
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.."
. scripts/servers.sh

DIR=""
REDIS_PID="" PG_PID=""
cleanup() {
    status=$?
    trap - EXIT INT TERM
    if [ -n "$DIR" ]; then
        # Processes the test binary started and did not stop (it crashed).
        for f in "$DIR"/pids/*.pid; do
            [ -f "$f" ] && stop_pid "$(cat "$f")" KILL
        done
        stop_pid "$REDIS_PID" TERM
        stop_pid "$PG_PID" INT
        # A postgres the test restarted itself.
        [ -f "$DIR/pg.pid" ] && stop_pid "$(cat "$DIR/pg.pid")" INT
        if [ "$status" != 0 ]; then
            for log in "$DIR"/*.log "$DIR"/*/*.log; do
                [ -f "$log" ] || continue
                echo "--- $log (last lines)" >&2
                tail -n 15 "$log" >&2
            done
        fi
        rm -rf "$DIR"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

why=""
if [ "$(id -u)" != 0 ]; then
    why="the pipeline test needs root (the worker creates namespaces and cgroups; postgres runs as its own user)"
elif ! command -v redis-server >/dev/null || [ ! -x "$PG_BIN/postgres" ]; then
    why="redis-server or postgres is not installed (make deps)"
fi

if [ -z "$why" ]; then
    DIR=$(mktemp -d /tmp/nsjudge-pipeline.XXXXXX)
    chmod 755 "$DIR"
    mkdir -p "$DIR/pids"
    pg_start_free "$DIR/pg"
    pg_createdb "$PG_PORT" nsjudge
    redis_start_free "$DIR/redis" || exit 1
    export PIPE_DIR="$DIR" PIPE_PG_PORT="$PG_PORT" PIPE_REDIS_PORT="$REDIS_PORT" \
           PIPE_REDIS_PID="$REDIS_PID" PIPE_REDIS_DIR="$DIR/redis" \
           PIPE_PG_PID="$PG_PID" PIPE_PG_DIR="$DIR/pg" PIPE_PG_BIN="$PG_BIN"
    echo "[ pipeline: postgres :$PG_PORT (pid $PG_PID), redis :$REDIS_PORT (pid $REDIS_PID), in $DIR ]" >&2
else
    export PIPE_UNAVAILABLE="$why"
fi
export BUILD NSJUDGE_HOME="${NSJUDGE_HOME:-$(pwd)}"
[ $# -gt 0 ] || set -- "$BUILD/pipeline/test_pipeline"
"$@"
