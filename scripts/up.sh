#!/bin/sh
# make up: a running judge on this host, without Docker. Installs what is
# missing, builds, makes the rootfs, starts a private redis-server and
# postgres on loopback with their data under .state/, applies the
# migrations, starts nsjudge-worker and nsjudge-api (127.0.0.1:8080),
# creates an admin API key once (.state/api-key, mode 600) and prints a
# curl example that uses it. Idempotent: what already runs is left alone.
# On a loopback LISTEN the page works without a key: ANONYMOUS_SCOPES
# defaults to submit,read there (empty elsewhere; set it to override).
# make down stops exactly what this started (the PIDs in .state/run/).
#
# Settings (environment): UP_LISTEN (127.0.0.1:8080), UP_REDIS_PORT (16379),
# UP_PG_PORT (15432), and any nsjudge-worker / nsjudge-api variable
# (WORKER_COUNT, EXECUTION_TIMEOUT, SOURCE_MAX, ...), passed through.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=$ROOT/.state
. scripts/servers.sh

if [ "$(id -u)" != 0 ]; then
    echo "make up: run as root: the worker creates namespaces and cgroups for every run" >&2
    exit 1
fi

LISTEN=${UP_LISTEN:-127.0.0.1:8080}
REDIS_PORT=${UP_REDIS_PORT:-16379}
PG_PORT=${UP_PG_PORT:-15432}
API_PORT=${LISTEN##*:}
case "$LISTEN" in
127.*|localhost:*|"[::1]:"*) ANONYMOUS_SCOPES=${ANONYMOUS_SCOPES-submit,read} ;;
*) ANONYMOUS_SCOPES=${ANONYMOUS_SCOPES-} ;;
esac
export ANONYMOUS_SCOPES

say() { echo "up: $*"; }

# Is the process in pidfile $1 alive and running program $2?
running() {
    [ -f "$1" ] || return 1
    _p=$(cat "$1")
    [ -n "$_p" ] && [ -r "/proc/$_p/cmdline" ] && tr '\0' ' ' <"/proc/$_p/cmdline" | grep -q -- "$2"
}

port_busy() {
    [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

say "packages"
scripts/deps.sh build
missing=""
for p in redis-server postgresql curl; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Debian starts a system redis-server and postgresql when it installs them;
# ours are separate instances on their own ports and directories.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

say "building"
make --no-print-directory all >/dev/null
say "rootfs"
make --no-print-directory rootfs

mkdir -p "$STATE/run" "$STATE/log"
chmod 755 "$STATE"

if running "$STATE/run/redis.pid" redis-server; then
    say "redis-server already running (pid $(cat "$STATE/run/redis.pid"))"
else
    port_busy "$REDIS_PORT" && { echo "up: port $REDIS_PORT is taken (set UP_REDIS_PORT)" >&2; exit 1; }
    # The AOF keeps the stream and its pending messages across restarts.
    redis_start "$STATE/redis" "$REDIS_PORT" --appendfsync everysec
    echo "$REDIS_PID" >"$STATE/run/redis.pid"
    say "redis-server on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID, data in .state/redis)"
fi

if running "$STATE/run/postgres.pid" postgres; then
    say "postgres already running (pid $(cat "$STATE/run/postgres.pid"))"
else
    port_busy "$PG_PORT" && { echo "up: port $PG_PORT is taken (set UP_PG_PORT)" >&2; exit 1; }
    pg_start "$STATE/pg" "$PG_PORT" -c fsync=on
    echo "$PG_PID" >"$STATE/run/postgres.pid"
    say "postgres on 127.0.0.1:$PG_PORT (pid $PG_PID, data in .state/pg)"
fi
pg_createdb "$PG_PORT" nsjudge

export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/nsjudge"
export NSJUDGE_HOME="$ROOT"

say "migrations"
build/nsjudge-worker --migrate

# An admin key, made once: its secret exists only in this file.
KEY_FILE=$STATE/api-key
if [ ! -s "$KEY_FILE" ]; then
    (umask 077 && build/nsjudge-admin key create --name "make up admin" --scopes admin | tail -n 1 >"$KEY_FILE.new")
    mv "$KEY_FILE.new" "$KEY_FILE"
    say "created an admin API key: .state/api-key"
fi
chmod 600 "$KEY_FILE"
API_KEY=$(cat "$KEY_FILE")

# setsid: the daemons leave the terminal's session (no SIGHUP, no ^C).
if running "$STATE/run/worker.pid" nsjudge-worker; then
    say "nsjudge-worker already running (pid $(cat "$STATE/run/worker.pid"))"
else
    setsid "$ROOT/build/nsjudge-worker" </dev/null >>"$STATE/log/worker.log" 2>&1 &
    echo $! >"$STATE/run/worker.pid"
    wait_for "grep -q 'workers started' '$STATE/log/worker.log'" 300 ||
        { tail -n 20 "$STATE/log/worker.log" >&2; echo "up: the worker did not start" >&2; exit 1; }
    say "nsjudge-worker (pid $!, log .state/log/worker.log)"
fi

if running "$STATE/run/api.pid" nsjudge-api; then
    say "nsjudge-api already running (pid $(cat "$STATE/run/api.pid"))"
else
    port_busy "$API_PORT" && { echo "up: port $API_PORT is taken (set UP_LISTEN)" >&2; exit 1; }
    LISTEN=$LISTEN setsid "$ROOT/build/nsjudge-api" </dev/null >>"$STATE/log/api.log" 2>&1 &
    echo $! >"$STATE/run/api.pid"
    say "nsjudge-api (pid $!, log .state/log/api.log)"
fi

URL="http://$LISTEN"
wait_for "curl -fsS $URL/healthz" 300 || { tail -n 20 "$STATE/log/api.log" >&2; echo "up: /healthz never answered" >&2; exit 1; }
say "ready: $(curl -fsS "$URL/healthz")"
cat <<EOT

The judge is up at $URL. Its admin API key (kept in .state/api-key, mode 600):

  $API_KEY

Try it:

  key=\$(cat .state/api-key)
  id=\$(curl -s -X POST $URL/submissions -H "Authorization: Bearer \$key" -H 'Content-Type: application/json' \\
        -d '{"language":"python","source_code":"print(int(input())*2)","test_cases":[{"input":"21","expected_output":"42","score":1}]}' \\
        | sed 's/.*"id":"\\([^"]*\\)".*/\\1/')
  sleep 1; curl -s -H "Authorization: Bearer \$key" $URL/submissions/\$id

Keys for others: DATABASE_URL=$DATABASE_URL \\
  build/nsjudge-admin key create --name NAME --scopes submit,read

Or open $URL/ in a browser (editor, Run, Submit). Scopes of requests without
a key (ANONYMOUS_SCOPES): ${ANONYMOUS_SCOPES:-none}.

Logs: .state/log/. Stop everything with: make down
EOT
