#!/bin/sh
# Gives a rootfs the sandbox's /dev: exactly five character devices, the
# std* symlinks and an empty /dev/shm (a fresh tmpfs is mounted there per
# run). The sandbox bind-mounts this directory read-only (writes to the
# devices still work) and allows device access on that mount only; the rest
# of the root is nodev. Anything else found in dev/ is removed.
set -eu
root=$1
rm -rf "$root/dev"
mkdir -m 755 "$root/dev" "$root/dev/shm"
chmod 1777 "$root/dev/shm"
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 666 "$root/dev/full" c 1 7
mknod -m 666 "$root/dev/random" c 1 8
mknod -m 666 "$root/dev/urandom" c 1 9
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
