#!/bin/sh
# The problem set end to end (make problems): postgres and redis-server on
# random loopback ports under a temporary directory, nsjudge-api and one
# nsjudge-worker (a data cache of its own: the checker compiles counted are
# this run's), then tests/problems/check.py against the API. Everything
# started is stopped by PID. Usage: tests/problems/run.sh [BUILD]
# Needs root (the worker's namespaces and cgroups); without it, or without
# the servers, it skips with the reason, and fails when
# NSJUDGE_TESTS_MUST_RUN=1.
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
. scripts/servers.sh

why=""
if [ "$(id -u)" != 0 ]; then
    why="needs root (the worker creates namespaces and cgroups; postgres runs as its own user)"
elif ! command -v redis-server >/dev/null || [ ! -x "$PG_BIN/postgres" ] || ! command -v python3 >/dev/null; then
    why="redis-server, postgres or python3 is not installed (make deps)"
fi
if [ -n "$why" ]; then
    if [ "${NSJUDGE_TESTS_MUST_RUN:-0}" = 1 ]; then
        echo "problems: FAILED: cannot run: $why" >&2
        exit 1
    fi
    echo "problems: SKIPPED: $why" >&2
    exit 0
fi

DIR=$(mktemp -d /tmp/nsjudge-problems.XXXXXX)
chmod 755 "$DIR"
REDIS_PID="" PG_PID="" API_PID="" WORKER_PID=""
cleanup() {
    status=$?
    trap - EXIT INT TERM
    stop_pid "$API_PID" TERM
    stop_pid "$WORKER_PID" TERM
    stop_pid "$REDIS_PID" TERM
    stop_pid "$PG_PID" INT
    if [ "$status" != 0 ]; then
        for log in "$DIR"/*.log; do
            [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 25 "$log" >&2; }
        done
    fi
    rm -rf "$DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
pg_start_free "$DIR/pg"
pg_createdb "$PG_PORT" nsjudge
redis_start_free "$DIR/redis" || { echo "problems: redis-server did not start" >&2; exit 1; }
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT" DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/nsjudge"
export NSJUDGE_HOME="${NSJUDGE_HOME:-$(pwd)}"
# One attempt: a broken checker's internal_error is expected here, not retried.
JUDGE_ATTEMPTS=1 WORKER_COUNT=2 NSJUDGE_DATA_CACHE="$DIR/data-cache" "$BUILD/nsjudge-worker" >"$DIR/worker.log" 2>&1 &
WORKER_PID=$!
wait_for "grep -q 'workers started' $DIR/worker.log" 300 || { echo "problems: the worker did not start" >&2; exit 1; }
# A free port can be taken by someone else before the API binds it: try another.
for attempt in 1 2 3 4 5; do
    API_PORT=$(free_port)
    LISTEN="127.0.0.1:$API_PORT" ANONYMOUS_SCOPES=submit,read,admin "$BUILD/nsjudge-api" >"$DIR/api.log" 2>&1 &
    API_PID=$!
    wait_for "grep -q -e 'listening on' -e 'cannot listen' $DIR/api.log" 300 || break
    grep -q 'listening on' "$DIR/api.log" && break
    stop_pid "$API_PID" TERM
    API_PID=""
done
grep -q 'listening on' "$DIR/api.log" || { echo "problems: the API did not start" >&2; exit 1; }

rm -f "$BUILD/problems/exchanges.jsonl"
mkdir -p "$BUILD/problems"
NSJ_HTTP_RECORD="$BUILD/problems/exchanges.jsonl" python3 tests/problems/check.py "http://127.0.0.1:$API_PORT"
# Evidence that a question's checker (or interactor) is compiled once: one
# compile per compiled helper program of the set, whatever the number of
# submissions.
compiles=$(grep -Ec 'program cache: compiled (checker|interactor)' "$DIR/worker.log" || true)
want=$(grep -l '"language": "cpp"' tests/problems/*/problem.json | wc -l)
if [ "$compiles" != "$want" ]; then
    echo "problems: FAILED: $compiles checker and interactor compiles in the worker's log, want $want (one per compiled program)" >&2
    exit 1
fi
echo "problems: checker and interactor compiles $compiles (one per compiled program); $(( $(date +%s) - start )) s in all"
