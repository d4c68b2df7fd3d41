#!/bin/sh
# make compose-check: docker-compose.yml built and run for real on a host
# without a registry, one private dockerd (scripts/dockerd.sh) at a time.
#
#   tests/compose/check.sh [BUILD]      logs under BUILD/compose/
#
# 1. build: the daemon in the host's network namespace, so that the builds
#    (network: host) reach Debian's mirror; docker/base-image.sh makes the
#    base image by debootstrap, `docker-compose build` the four images FROM
#    it. Nothing else runs in this phase: no container gets a network.
# 2. run: the same data root, the daemon started again inside a network
#    namespace of its own (dockerd_start ... isolated): compose's bridge,
#    the containers and the published 127.0.0.1:8080 exist only there, with
#    no route out, so the stack's traffic never leaves this machine (nor
#    meets the host's own port 8080). `docker-compose up -d`, wait for the
#    health checks, tests/compose/client.py (run inside that namespace by
#    nsenter) posts submissions and a question and checks the verdicts and
#    the page, `docker-compose down -v`, stop the daemon by its PID, remove
#    its cgroups.
#
# Images are cached: the daemon's data root is /var/cache/nsjudge/compose/KEY,
# KEY a hash of the base image's recipe and the docker.io version (a new KEY
# replaces the old directory); Docker's layer cache rebuilds only what
# changed (e.g. the compile stage after a source change). A lock serialises
# runs on one machine. Skips with the reason, or fails under
# NSJUDGE_TESTS_MUST_RUN=1, when it cannot run (not root, no cgroups).
set -eu
build=${1:-build}
t0=$(date +%s)
project=nsjudge-check
cache=/var/cache/nsjudge/compose
state=/run/nsjudge-compose
cgparent=/nsjudge-compose
logs=$(pwd)/$build/compose
export DOCKER=/usr/bin/docker NSJUDGE_BASE=nsjudge/debian:bookworm COMPOSE_PROJECT_NAME=$project
compose="docker-compose -f docker-compose.yml"

cannot() {
    if [ "${NSJUDGE_TESTS_MUST_RUN:-0}" = 1 ]; then
        echo "compose-check: FAIL: cannot run: $1 (NSJUDGE_TESTS_MUST_RUN=1)" >&2
        exit 1
    fi
    echo "compose-check: SKIP: $1"
    exit 0
}
[ "$(id -u)" = 0 ] || cannot "needs root (a private dockerd)"
[ -d /sys/fs/cgroup ] && [ -n "$(ls /sys/fs/cgroup)" ] || cannot "no cgroup file system at /sys/fs/cgroup"
scripts/deps.sh compose
for r in python gcc; do
    [ -f "rootfs/$r/.nsjudge-stamp" ] || cannot "rootfs/$r is missing (make rootfs)"
done
. scripts/dockerd.sh

mkdir -p "$cache" "$logs"
exec 9>"$cache/.lock"
if ! flock -n 9; then
    echo "compose-check: waiting for another run on this machine"
    flock -w 1800 9 || { echo "compose-check: FAIL: the lock $cache/.lock is held for 30 min" >&2; exit 1; }
fi
key=$( (cat docker/base-image.sh; $DOCKER --version) | sha256sum | cut -c1-16)
for d in "$cache"/*/; do
    [ -d "$d" ] && [ "$(basename "$d")" != "$key" ] && { echo "compose-check: removing the old cache $d"; rm -rf "$d"; }
done
data=$cache/$key

failed=1
cleanup() {
    if [ -n "${DOCKERD_PID:-}" ]; then
        if [ "$failed" = 1 ]; then
            $compose logs --no-color --tail 40 >"$logs/stack.log" 2>&1 || true
            echo "compose-check: the stack's logs (last 40 lines each): $logs/stack.log" >&2
        fi
        $compose down -v --timeout 20 >>"$logs/down.log" 2>&1 || true
    fi
    dockerd_stop
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# A daemon left by an interrupted run (killed before its trap ran) still
# owns the data root: stop it by the PID in its pid file.
old=$(cat "$state/docker.pid" 2>/dev/null || true)
if [ -n "$old" ] && [ "$(readlink "/proc/$old/exe" 2>/dev/null)" = "$DOCKERD" ] &&
    tr '\0' ' ' <"/proc/$old/cmdline" | grep -qF -- "--exec-root $state/exec"; then
    echo "compose-check: stopping dockerd $old left by an interrupted run"
    DOCKERD_PID=$old DOCKERD_STATE=$state DOCKERD_CGPARENT=$cgparent
    dockerd_stop
fi
dockerd_unmount "$state"
rm -rf "$state"
cold=$([ -d "$data" ] && echo warm || echo cold)

# 1. build
t=$(date +%s)
dockerd_start "$state" "$data" "$cgparent" 9>&-
nice -n 10 docker/base-image.sh >"$logs/build.log" 2>&1 ||
    { tail -n 20 "$logs/build.log" >&2; echo "compose-check: FAIL: the base image" >&2; exit 1; }
nice -n 10 $compose build >>"$logs/build.log" 2>&1 ||
    { tail -n 30 "$logs/build.log" >&2; echo "compose-check: FAIL: docker-compose build (log: $logs/build.log)" >&2; exit 1; }
# Superseded images and their layers go. The compile stage is no service's
# image (always "dangling"): its chains stay, by their label, for a week.
$DOCKER image prune -f --filter 'label!=org.nsjudge.stage=build' >/dev/null
$DOCKER image prune -f --filter 'label=org.nsjudge.stage=build' --filter until=168h >/dev/null
dockerd_stop
tb=$(($(date +%s) - t))
echo "compose-check: images built in ${tb} s ($cold cache; log: $logs/build.log)"

# 2. run
t=$(date +%s)
dockerd_start "$state" "$data" "$cgparent" isolated 9>&-
[ "$(readlink /proc/$$/ns/net)" != "$(readlink /proc/"$DOCKERD_PID"/ns/net)" ] ||
    { echo "compose-check: FAIL: the daemon is in the host's network namespace" >&2; exit 1; }
ANONYMOUS_SCOPES=submit,read,admin $compose up -d --no-build >"$logs/up.log" 2>&1 ||
    { cat "$logs/up.log" >&2; echo "compose-check: FAIL: docker-compose up" >&2; exit 1; }
health() { $DOCKER inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$($compose ps -q "$1")"; }
n=0
until [ "$(health api)" = healthy ] && [ "$(health worker)" = running ]; do
    n=$((n + 1))
    if [ "$n" -ge 240 ]; then
        echo "compose-check: FAIL: not healthy after 120 s: api $(health api), worker $(health worker)" >&2
        exit 1
    fi
    sleep 0.5
done
echo "compose-check: stack up and healthy in $(($(date +%s) - t)) s"
nsenter -t "$DOCKERD_PID" -n -- /usr/bin/python3 tests/compose/client.py http://127.0.0.1:8080
# (restart: on-failure would hide a crash between two requests.)
for svc in redis postgres api worker; do
    c=$($DOCKER inspect -f '{{.RestartCount}}' "$($compose ps -q "$svc")")
    [ "$c" = 0 ] || { echo "compose-check: FAIL: $svc restarted $c time(s)" >&2; exit 1; }
done
echo "compose-check: ok: no service restarted"

t=$(date +%s)
$compose down -v --timeout 20 >"$logs/down.log" 2>&1 ||
    { cat "$logs/down.log" >&2; echo "compose-check: FAIL: docker-compose down" >&2; exit 1; }
dockerd_stop
left=$(ls -d /sys/fs/cgroup/*/"${cgparent#/}" /sys/fs/cgroup/"${cgparent#/}" 2>/dev/null || true)
[ -z "$left" ] || { echo "compose-check: FAIL: cgroups left behind: $left" >&2; exit 1; }
left=$(awk -v s="$state/" -v d="$data/" 'index($5, s) == 1 || index($5, d) == 1 { print $5 }' /proc/self/mountinfo)
[ -z "$left" ] || { echo "compose-check: FAIL: mounts left behind: $left" >&2; exit 1; }
failed=0
echo "compose-check: down, daemon stopped, no cgroup or mount left ($(($(date +%s) - t)) s)"
echo "compose-check: PASS in $(($(date +%s) - t0)) s (build ${tb} s, $cold cache)"
