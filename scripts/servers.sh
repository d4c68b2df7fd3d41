# Sourced (POSIX sh): start and stop private redis-server and postgres
# instances on loopback, each under a directory of its own, stopped by PID.
# Used by tests/pipeline/run.sh, bench/pipeline.sh and scripts/up.sh.
#
#   free_port                      print a TCP port nothing listens on
#   redis_start DIR PORT [ARGS..]  start redis-server (AOF in DIR); sets REDIS_PID
#   redis_start_free DIR [ARGS..]  redis_start on a free port (another if that one
#                                  is taken before the bind); sets REDIS_PORT
#   pg_start DIR PORT [ARGS..]     initdb (once) and start postgres; sets PG_PID
#   pg_start_free DIR [ARGS..]     pg_start on a free port (another if that one is
#                                  taken before the bind); sets PG_PORT and PG_PID
#   pg_createdb PORT NAME          create a database unless it exists
#   wait_own_listener NAME PID PORT READY LOG..
#                                  wait until PID itself listens on PORT and
#                                  READY succeeds (used by the two starts)
#   stop_pid PID [SIGNAL] [SECS]   signal a process we started, wait for it to go
#                                  (SIGKILL after SECS, default 30)

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

free_port() {
    while :; do
        p=$(shuf -i 20000-60999 -n 1)
        if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
    done
}

# Waits up to $2 tenths of a second for command $1 to succeed.
wait_for() {
    _n=0
    while ! eval "$1" >/dev/null 2>&1; do
        _n=$((_n + 1))
        [ "$_n" -ge "$2" ] && return 1
        sleep 0.1
    done
}

# wait_own_listener NAME PID PORT READY LOG..: up to 60 s on a busy host,
# until process PID listens on PORT itself (another server on the port
# would answer READY too; ss names the owner only to root) and command
# READY succeeds. A process that exited at start (a port taken between
# free_port and its bind) fails at once (status 2, reaped), with the end of
# its logs as the reason; a timeout is status 1.
wait_own_listener() {
    _name=$1 _pid=$2 _port=$3 _ready=$4
    shift 4
    _n=0
    until { [ "$(id -u)" != 0 ] || ss -Htlnp "sport = :$_port" 2>/dev/null | grep -q "pid=$_pid,"; } &&
          eval "$_ready" >/dev/null 2>&1; do
        if ! kill -0 "$_pid" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$_pid/stat" 2>/dev/null)" = Z ]; then
            echo "$_name exited at start on port $_port; the end of its logs:" >&2
            tail -n 5 "$@" >&2 2>/dev/null
            wait "$_pid" 2>/dev/null || true
            return 2
        fi
        _n=$((_n + 1))
        if [ "$_n" -ge 600 ]; then
            echo "$_name did not answer in 60 s on port $_port; the end of its logs:" >&2
            tail -n 5 "$@" >&2 2>/dev/null
            return 1
        fi
        sleep 0.1
    done
}

redis_start() {
    _dir=$1 _port=$2
    shift 2
    mkdir -p "$_dir"
    # AOF with fsync on every write: a restarted Redis keeps the stream, the
    # consumer group and its pending entries (nothing is lost across a restart).
    redis-server --port "$_port" --bind 127.0.0.1 --daemonize no --dir "$_dir" --save '' \
        --appendonly yes --appendfsync always --logfile "$_dir/redis.log" "$@" </dev/null >"$_dir/redis.out" 2>&1 &
    REDIS_PID=$!
    wait_own_listener redis-server "$REDIS_PID" "$_port" "redis-cli -h 127.0.0.1 -p $_port ping | grep -q PONG" \
        "$_dir/redis.log" "$_dir/redis.out" || { [ $? = 2 ] && REDIS_PID=""; return 1; }
}

redis_start_free() {
    _rdir=$1
    shift
    for _try in 1 2 3; do
        REDIS_PORT=$(free_port)
        redis_start "$_rdir" "$REDIS_PORT" "$@" && return 0
        stop_pid "$REDIS_PID" TERM
        REDIS_PID=""
    done
    return 1
}

pg_start() {
    _dir=$1 _port=$2
    shift 2
    if [ ! -x "$PG_BIN/postgres" ]; then
        echo "postgres not found under /usr/lib/postgresql (apt-get install postgresql)" >&2
        return 1
    fi
    # Postgres refuses to run as root: its directories belong to the postgres user.
    mkdir -p "$_dir/data" "$_dir/sock"
    chmod 755 "$_dir"
    chown -R postgres:postgres "$_dir"
    if [ ! -f "$_dir/data/PG_VERSION" ]; then
        runuser -u postgres -- "$PG_BIN/initdb" -D "$_dir/data" -U postgres -A trust -E UTF8 --no-sync \
            >"$_dir/initdb.log" 2>&1 || { echo "initdb failed; see $_dir/initdb.log" >&2; return 1; }
    fi
    # setpriv execs postgres itself, so $! is the postmaster's PID. fsync=off
    # unless the caller's ARGS say otherwise (the last -c of a name wins).
    setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" -D "$_dir/data" -p "$_port" \
        -k "$_dir/sock" -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 "$@" \
        </dev/null >"$_dir/postgres.log" 2>&1 &
    PG_PID=$!
    wait_own_listener postgres "$PG_PID" "$_port" "$PG_BIN/pg_isready -q -h 127.0.0.1 -p $_port" \
        "$_dir/postgres.log" || { [ $? = 2 ] && PG_PID=""; return 1; }
}

pg_start_free() {
    _pgdir=$1
    shift
    for _try in 1 2 3; do
        PG_PORT=$(free_port)
        pg_start "$_pgdir" "$PG_PORT" "$@" && return 0
        stop_pid "$PG_PID" INT
        PG_PID=""
    done
    return 1
}

pg_createdb() {
    if ! psql -h 127.0.0.1 -p "$1" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$2'" | grep -q 1; then
        psql -h 127.0.0.1 -p "$1" -U postgres -qc "CREATE DATABASE $2" >/dev/null
    fi
}

stop_pid() {
    _pid=$1 _sig=${2:-TERM} _secs=${3:-30}
    [ -n "$_pid" ] || return 0
    kill -0 "$_pid" 2>/dev/null || return 0
    kill -"$_sig" "$_pid" 2>/dev/null || return 0
    _n=0
    # A child of ours that exited stays a zombie until waited for: gone too.
    while kill -0 "$_pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$_pid/stat" 2>/dev/null)" != Z ]; do
        _n=$((_n + 1))
        if [ "$_n" -ge $((_secs * 10)) ]; then
            kill -KILL "$_pid" 2>/dev/null
            break
        fi
        sleep 0.1
    done
    # Reap it when it is our child (no-op otherwise).
    wait "$_pid" 2>/dev/null || true
}
