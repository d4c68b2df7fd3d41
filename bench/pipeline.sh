#!/bin/sh
# Pipeline benchmark (make bench-pipeline): postgres and redis-server on
# random loopback ports under a temporary directory, a worker and two APIs
# (one open, one with keys and limits), then build/pipeline/bench_pipeline, which
# measures the bare-exec limit and the pipeline side by side and writes the
# table to bench/results/pipeline.md. Everything started is stopped by PID.
# Usage: bench/pipeline.sh [BUILD]; BENCH_N, BENCH_TESTS, WORKER_COUNT apply;
# BENCH_ACCESS_ONLY=1 measures only the cost of keys and limits (issue #13).
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/.."
. scripts/servers.sh

if [ "$(id -u)" != 0 ]; then
    echo "bench-pipeline: needs root (the worker creates namespaces and cgroups)" >&2
    exit 1
fi
DIR=$(mktemp -d /tmp/nsjudge-bench.XXXXXX)
chmod 755 "$DIR"
REDIS_PID="" PG_PID="" API_PID="" WORKER_PID="" AUTH_API_PID=""
cleanup() {
    status=$?
    stop_pid "$API_PID" TERM
    stop_pid "$AUTH_API_PID" TERM
    # The access phase stops the worker (SIGSTOP) while it measures: a
    # stopped process would not act on TERM.
    [ -z "$WORKER_PID" ] || kill -CONT "$WORKER_PID" 2>/dev/null || true
    stop_pid "$WORKER_PID" TERM
    stop_pid "$REDIS_PID" TERM
    stop_pid "$PG_PID" INT
    [ "$status" = 0 ] || tail -n 20 "$DIR"/*.log >&2 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Durable settings, as in production: Postgres fsyncs its commits, Redis
# appends to its AOF and fsyncs every second.
pg_start_free "$DIR/pg" -c fsync=on
pg_createdb "$PG_PORT" nsjudge
redis_start_free "$DIR/redis" --appendfsync everysec || exit 1
API_PORT=$(free_port)

export REDIS_URL="redis://127.0.0.1:$REDIS_PORT" DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/nsjudge"
export NSJUDGE_HOME="${NSJUDGE_HOME:-$(pwd)}"
WORKERS=${WORKER_COUNT:-4}
# A data cache of its own: the fills counted are this run's.
WORKER_COUNT=$WORKERS NSJUDGE_DATA_CACHE="$DIR/data-cache" "$BUILD/nsjudge-worker" >"$DIR/worker.log" 2>&1 &
WORKER_PID=$!
# The API measured throughout: open (anonymous, no limits). A second one
# with keys and every limit (set never to refuse) for the side-by-side cost
# of access control (issue #13).
LISTEN="127.0.0.1:$API_PORT" ANONYMOUS_SCOPES=submit,read,admin RATE_REQUESTS=0 RATE_SUBMISSIONS=0 MAX_QUEUED=0 \
    MAX_SESSIONS=0 MAX_STREAMS=0 "$BUILD/nsjudge-api" >"$DIR/api.log" 2>&1 &
API_PID=$!
wait_for "grep -q 'workers started' $DIR/worker.log" 200 || { echo "worker did not start" >&2; exit 1; }
wait_for "grep -q 'listening on' $DIR/api.log" 200 || { echo "api did not start" >&2; exit 1; }
AUTH_API_PORT=$(free_port)
LISTEN="127.0.0.1:$AUTH_API_PORT" RATE_REQUESTS=1000000 RATE_SUBMISSIONS=1000000 MAX_QUEUED=1000000 \
    "$BUILD/nsjudge-api" >"$DIR/auth-api.log" 2>&1 &
AUTH_API_PID=$!
wait_for "grep -q 'listening on' $DIR/auth-api.log" 200 || { echo "the second api did not start" >&2; exit 1; }
AUTH_KEY=$("$BUILD/nsjudge-admin" key create --name bench --scopes submit,read | tail -n 1)

mkdir -p bench/results
PIPE_PG_PID=$PG_PID PIPE_REDIS_PID=$REDIS_PID PIPE_API_PORT=$API_PORT PIPE_PG_PORT=$PG_PORT PIPE_WORKER_PID=$WORKER_PID PIPE_API_PID=$API_PID \
PIPE_AUTH_API_PORT=$AUTH_API_PORT PIPE_AUTH_KEY=$AUTH_KEY \
PIPE_WORKERS=$WORKERS PIPE_WORKER_LOG="$DIR/worker.log" ROOTFS="$(pwd)/rootfs/python" BENCH_OUT=bench/results/pipeline.md BENCH_JSON=bench/results/pipeline.json \
    "$BUILD/pipeline/bench_pipeline"
