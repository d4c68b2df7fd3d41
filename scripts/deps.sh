#!/bin/sh
# Installs the Debian packages nsjudge needs, only those missing (fast when
# nothing is). Usage: scripts/deps.sh [build|test|docker|compose|all]
set -eu
build="gcc make pkg-config libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev
       libhiredis-dev libpq-dev libjansson-dev libmicrohttpd-dev libcmocka-dev libarchive-dev libssl-dev libcurl4-openssl-dev
       python3-yaml"
# Servers for the pipeline, the python rootfs builder, the cgroup-v2 VM,
# the browser for the web page's test (make browser: chromium, driven
# headless by playwright-core from npm), the judge-host guests of make
# hosts (debootstrap, mkfs.ext4 -d, curl), and the reference Prometheus
# parser that make ops checks /metrics with, the problem set's client (python3).
test="redis-server postgresql hyperfine qemu-system-x86 linux-image-cloud-amd64 busybox-static cpio xz-utils kmod chromium
      debootstrap e2fsprogs curl python3 python3-prometheus-client"
# A private dockerd (make bench-docker, make compose-check); Compose 1.29,
# debootstrap for the stack's base image, iproute2 for its network namespace.
docker="docker.io"
compose="docker.io docker-compose debootstrap iproute2"
case "${1:-all}" in
    build) want=$build ;;
    docker) want=$docker ;;
    compose) want=$compose ;;
    *)
        want="$build $test $compose"
        # Node and npm for the browser test, unless some node is there
        # already (e.g. NodeSource's, which Debian's npm would conflict with).
        command -v node >/dev/null || want="$want nodejs"
        command -v npm >/dev/null || want="$want npm"
        ;;
esac
missing=""
for p in $want; do
    s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run as root, or install them)" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps the kernel image and qemu small (HOST-NOTES).
apt-get install -y -qq --no-install-recommends $missing >/dev/null
