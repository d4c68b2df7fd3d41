#!/bin/sh
# nsjudge-worker inside a container (docker-compose.yml). Docker mounts the
# container's cgroups read-only; the sandbox creates a cgroup per run, so
# the worker's own subtree is made writable here (a per-mount flag: the
# host's tree above the container stays out of reach). Then the worker
# starts in a cgroup namespace of its own, rooted at the container's cgroup,
# whatever cgroupns mode the engine chose: its /proc/self/cgroup and the
# mounts agree. Needs CAP_SYS_ADMIN (compose: cap_add), nothing else here.
set -eu
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    mount -o remount,bind,rw /sys/fs/cgroup
    # v2: the container's cgroup holds the worker itself; run cgroups need
    # a parent without processes, so the worker moves to a leaf of it.
    export NSJUDGE_CGROUP_PARENT="${NSJUDGE_CGROUP_PARENT:-self}"
else
    # v1 (hybrid hosts): one mount per hierarchy; runs go under /nsjudge
    # in each, i.e. inside the container's cgroups.
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
exec unshare --cgroup -- /usr/local/bin/nsjudge-worker "$@"
