# Sourced (POSIX sh): a private dockerd that leaves the host's own Docker,
# network and firewall alone, stopped by its PID. Used by bench/docker.sh
# (make bench-docker) and tests/compose/check.sh (make compose-check);
# `scripts/deps.sh docker` installs dockerd.
#
#   dockerd_start STATE DATA CGPARENT [isolated]
#        start dockerd with its socket, pid file, log and exec root under
#        STATE, images and containers under DATA, container cgroups under
#        CGPARENT (one name in every hierarchy); sets DOCKERD_PID and
#        exports DOCKER_HOST. With "isolated" it runs in a network namespace
#        of its own (see below).
#   dockerd_stop                      SIGTERM to DOCKERD_PID, wait, then
#                                     remove the mounts and empty cgroups
#                                     it leaves
#   dockerd_unmount STATE             remove mounts left under STATE (by a
#                                     daemon that died without dockerd_stop)
#
# Always: no iptables rules (--iptables=false, --ip6tables=false), no
# masquerading, no ip_forward change, no default bridge (--bridge=none),
# cgroupfs driver (no systemd needed). Without "isolated" the daemon is in
# the host's network namespace and meant for containers on the "none" or
# "host" network only (benchmark runs use none; builds use host to reach
# the package mirror): it creates no network of its own. With "isolated"
# it is started by `unshare --net` in a new, empty network namespace with
# only `lo` up: the bridges it creates for compose networks, the containers
# on them and the ports it publishes (docker-proxy on that namespace's
# 127.0.0.1) exist only there, with no route and no interface leading out of
# it, so the stack's traffic cannot leave this machine, nor even reach the
# host's own loopback. Reach it with `nsenter -t $DOCKERD_PID -n CMD`. The
# namespace dies with the daemon. The unix socket is a file, so the docker
# CLI reaches the daemon from the host as usual.

DOCKERD=/usr/sbin/dockerd

dockerd_start() {
    DOCKERD_STATE=$1 _data=$2 DOCKERD_CGPARENT=$3 _net=${4:-host}
    _state=$1
    mkdir -p "$_state" "$_data"
    export DOCKER_HOST="unix://$_state/docker.sock"
    set -- "$DOCKERD" --data-root "$_data" --exec-root "$_state/exec" -H "$DOCKER_HOST" \
        --pidfile "$_state/docker.pid" --iptables=false --ip6tables=false --bridge=none \
        --ip-forward=false --ip-masq=false --exec-opt native.cgroupdriver=cgroupfs \
        --cgroup-parent="$DOCKERD_CGPARENT"
    if [ "$_net" = isolated ]; then
        # sh execs dockerd, so $! is the daemon's PID.
        unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "$@" >"$_state/dockerd.log" 2>&1 &
    else
        "$@" >"$_state/dockerd.log" 2>&1 &
    fi
    DOCKERD_PID=$!
    _n=0
    until /usr/bin/docker info >/dev/null 2>&1; do
        _n=$((_n + 1))
        if [ "$_n" -ge 300 ] || ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
            echo "dockerd did not start; the end of $_state/dockerd.log:" >&2
            tail -n 5 "$_state/dockerd.log" >&2
            return 1
        fi
        sleep 0.1
    done
}

dockerd_stop() {
    [ -n "${DOCKERD_PID:-}" ] || return 0
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    # It stops its containers first (10 s each at most), then itself.
    _n=0
    while kill -0 "$DOCKERD_PID" 2>/dev/null && [ "$_n" -lt 600 ]; do
        sleep 0.1
        _n=$((_n + 1))
    done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID" 2>/dev/null
    DOCKERD_PID=""
    dockerd_unmount "$DOCKERD_STATE"
    # It also leaves the containers' empty cgroups
    # (in every v1 hierarchy, or in the v2 tree) under its parent.
    for _h in /sys/fs/cgroup/*/"${DOCKERD_CGPARENT#/}" /sys/fs/cgroup/"${DOCKERD_CGPARENT#/}"; do
        [ -d "$_h" ] && find "$_h" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    return 0
}

# dockerd leaves its own network namespace bind-mounted at
# exec/netns/default (which keeps that namespace alive).
dockerd_unmount() {
    awk -v s="$1/" 'index($5, s) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r _m; do umount -l "$_m" 2>/dev/null || true; done
}
