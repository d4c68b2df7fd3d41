#!/bin/sh
# nsjudge-worker inside a container (docker-compose.yml). Needs CAP_SYS_ADMIN
# (compose: cap_add) for what it does here.
#
# Cgroups: Docker mounts the container's own cgroups (and only those: the
# host's tree above stays out of sight) read-only; the sandbox creates a
# cgroup per run under /nsjudge in them, so they are remounted read-write
# (a per-mount flag).
set -eu
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    # v2: /sys/fs/cgroup must be the container's cgroup, i.e. a private
    # cgroup namespace (Docker's default on v2 hosts), not the host's root.
    if [ "$(cat /proc/self/cgroup)" != "0::/" ]; then
        echo "worker-entrypoint: the container shares the host's cgroup namespace ($(cat /proc/self/cgroup)); run it with a private one (docker run --cgroupns=private, dockerd --default-cgroupns-mode=private)" >&2
        exit 2
    fi
    mount -o remount,bind,rw /sys/fs/cgroup
    # v2 allows no processes in a cgroup that hands controllers to its
    # children: the worker moves to a leaf, the runs go under /nsjudge
    # beside it (the sandbox enables memory, cpu and pids for them).
    mkdir -p /sys/fs/cgroup/worker
    echo $$ >/sys/fs/cgroup/worker/cgroup.procs
else
    # v1 (hybrid hosts): one mount per hierarchy, each the container's cgroup.
    for m in /sys/fs/cgroup/*; do
        if mountpoint -q "$m"; then mount -o remount,bind,rw "$m"; fi
    done
fi

# Each run mounts a fresh /proc inside its user namespace. The kernel
# allows that only if some proc mount it can see shows everything (it must
# not reveal what mounts over /proc hide: fs/namespace.c
# mount_too_revealing), and Docker covers parts of the container's /proc
# (kcore, sysrq-trigger, /proc/sys read-only ...). A whole proc mounted
# aside, nosuid/nodev/noexec, is that proof; the runs' own /proc hide the
# same files again (src/sandbox/mounts.c). `--security-opt
# systempaths=unconfined` would do the same, but Compose 1.29 cannot pass it.
mkdir -p /run/nsjudge /run/nsjudge-proc
mountpoint -q /run/nsjudge-proc || mount -t proc -o nosuid,nodev,noexec proc /run/nsjudge-proc
exec /usr/local/bin/nsjudge-worker "$@"
