#!/bin/sh
# The design's rootfs path, for hosts with a container registry: build
# docker/Dockerfile.python, then `docker create` + `docker export | tar -x`
# into rootfs/python. (Without a registry, use rootfs/build-python.sh.)
# The tree is assembled in a temporary directory and renamed into place.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/python}
image=${NSJUDGE_PYTHON_IMAGE:-nsjudge-python:latest}

docker build -t "$image" -f "$here/../docker/Dockerfile.python" "$here/../docker"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
cid=""
trap 'rm -rf "$tmp"; [ -z "$cid" ] || docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT INT TERM
cid=$(docker create "$image")
docker export "$cid" | tar -x -C "$tmp"
# Docker's export leaves its own /dev, /proc and /etc/hosts placeholders:
# replace /dev with exactly the sandbox's devices, keep mount points.
"$here/make-dev.sh" "$tmp"
mkdir -p "$tmp/proc" "$tmp/tmp" "$tmp/code" "$tmp/box" "$tmp/var/tmp"
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
rm -f "$tmp/.dockerenv"
printf '127.0.0.1 localhost sandbox\n::1 localhost\n' >"$tmp/etc/hosts"
echo "docker:$image:$(docker image inspect -f '{{.Id}}' "$image")" >"$tmp/.nsjudge-stamp"
chmod 755 "$tmp"
rm -rf "$out.old"
[ -d "$out" ] && mv "$out" "$out.old"
mv "$tmp" "$out"
rm -rf "$out.old"
echo "rootfs: $out exported from $image"
