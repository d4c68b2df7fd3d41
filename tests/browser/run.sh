#!/bin/sh
# The browser test (make browser): the web page served by a real
# nsjudge-api, driven in Debian's chromium (headless) by playwright-core.
# Run by tests/pipeline/run.sh, which starts redis-server and postgres and
# passes them in PIPE_*; this starts a worker and the API (their PIDs in
# $PIPE_DIR/pids, so that run.sh's trap stops them if this dies), installs
# the pinned playwright-core under $NODE_PREFIX once (npm, no browser
# download: the browser is /usr/bin/chromium), and runs tests/browser/run.mjs.
# Without what it needs it skips with the reason; NSJUDGE_TESTS_MUST_RUN=1
# makes that a failure.
set -eu
cd "$(dirname "$0")/../.."
. scripts/servers.sh

BUILD=${BUILD:-build}
NODE_PREFIX=${NODE_PREFIX:-$(pwd)/$BUILD/node}
PLAYWRIGHT_VERSION=${PLAYWRIGHT_VERSION:?set by mk/live.mk}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

skip() {
    if [ "${NSJUDGE_TESTS_MUST_RUN:-}" = 1 ]; then
        echo "browser: FAILED: required but unavailable (NSJUDGE_TESTS_MUST_RUN=1): $1" >&2
        exit 1
    fi
    echo "browser: SKIP: $1" >&2
    exit 0
}

[ -z "${PIPE_UNAVAILABLE:-}" ] || skip "$PIPE_UNAVAILABLE"
command -v node >/dev/null || skip "node is not installed (make deps installs Debian's nodejs)"
command -v npm >/dev/null || skip "npm is not installed (make deps installs Debian's npm)"
[ -x "$CHROMIUM" ] || skip "$CHROMIUM is not installed (make deps installs Debian's chromium)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || skip "node $(node --version) is too old: playwright-core $PLAYWRIGHT_VERSION needs 18 or later"

# The pinned playwright-core, once; never a browser (it downloads none, and
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD says so again).
PWC="$NODE_PREFIX/node_modules/playwright-core"
have=$(node -p "try { require('$PWC/package.json').version } catch (e) { '' }" 2>/dev/null || true)
if [ "$have" != "$PLAYWRIGHT_VERSION" ]; then
    echo "browser: installing playwright-core@$PLAYWRIGHT_VERSION into $NODE_PREFIX (npm)" >&2
    mkdir -p "$NODE_PREFIX"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$NODE_PREFIX" --no-audit --no-fund \
        --ignore-scripts --loglevel=error --save-exact "playwright-core@$PLAYWRIGHT_VERSION" >&2 ||
        skip "npm install playwright-core@$PLAYWRIGHT_VERSION failed (is the npm registry reachable?)"
fi

DIR=$PIPE_DIR
rm -f "$BUILD/browser-failure.png" # a stale one would mislead
API_PORT=$(free_port)
export REDIS_URL="redis://127.0.0.1:$PIPE_REDIS_PORT"
export DATABASE_URL="postgresql://postgres@127.0.0.1:$PIPE_PG_PORT/nsjudge"
WORKER_PID="" API_PID=""
finish() {
    status=$?
    trap - EXIT INT TERM
    for p in $API_PID $WORKER_PID; do
        stop_pid "$p" TERM 20
        rm -f "$DIR/pids/$p.pid"
    done
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

WORKER_COUNT=2 SESSION_WORKERS=2 WORKER_NAME=browser EXECUTION_TIMEOUT=5s \
    "$BUILD/nsjudge-worker" >"$DIR/browser-worker.log" 2>&1 &
WORKER_PID=$!
echo "$WORKER_PID" >"$DIR/pids/$WORKER_PID.pid"
# What make up gives the page on loopback: anonymous submit and read.
LISTEN="127.0.0.1:$API_PORT" ANONYMOUS_SCOPES=submit,read "$BUILD/nsjudge-api" >"$DIR/browser-api.log" 2>&1 &
API_PID=$!
echo "$API_PID" >"$DIR/pids/$API_PID.pid"
wait_for "grep -q 'session workers started' '$DIR/browser-worker.log'" 200 ||
    { cat "$DIR/browser-worker.log" >&2; exit 1; }
wait_for "node -e \"fetch('http://127.0.0.1:$API_PORT/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))\"" 100 ||
    { cat "$DIR/browser-api.log" >&2; exit 1; }
# A second API that needs a key for everything, and a key for the page's field.
KEY_API_PORT=$(free_port)
LISTEN="127.0.0.1:$KEY_API_PORT" "$BUILD/nsjudge-api" >"$DIR/browser-key-api.log" 2>&1 &
KEY_API_PID=$!
echo "$KEY_API_PID" >"$DIR/pids/$KEY_API_PID.pid"
wait_for "grep -q 'listening on' '$DIR/browser-key-api.log'" 200 || { cat "$DIR/browser-key-api.log" >&2; exit 1; }
KEY=$("$BUILD/nsjudge-admin" key create --name browser --scopes submit,read | tail -n 1)

echo "browser: node $(node --version), playwright-core $PLAYWRIGHT_VERSION, $("$CHROMIUM" --version 2>/dev/null | head -n 1)" >&2
NSJ_URL="http://127.0.0.1:$API_PORT/" NSJ_KEY_URL="http://127.0.0.1:$KEY_API_PORT/" NSJ_KEY="$KEY" NSJ_PLAYWRIGHT="$PWC" NSJ_CHROMIUM="$CHROMIUM" \
    NSJ_PROFILE="$DIR/chromium-profile" NSJ_SCREENSHOT="$(pwd)/$BUILD/browser-failure.png" \
    node tests/browser/run.mjs
