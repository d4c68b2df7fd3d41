#!/bin/sh
# The dev stack's base image for hosts without a container registry:
# Debian 12 (bookworm) from Debian's own packages, made by debootstrap
# --variant=minbase and loaded with `docker import`. The stack's images
# are built FROM it (docker/Dockerfile, build argument BASE); hosts with a
# registry use the official debian:bookworm-slim instead.
#
#   docker/base-image.sh [IMAGE]     default nsjudge/debian:bookworm
#
# Talks to the daemon DOCKER_HOST names (the system's by default). Done
# again only when this script or the mirror changes: the image carries the
# hash of both as a label. Needs root and debootstrap (apt-get install
# debootstrap); takes about a minute.
set -eu
image=${1:-nsjudge/debian:bookworm}
docker=${DOCKER:-docker}

# The host's Debian mirror (it may be the only one reachable).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=$(sed -n 's/^URIs: *\([^ ]*debian-security\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$security" ] || security=http://deb.debian.org/debian-security

inputs=$( (cat "$0"; echo "$mirror $security") | sha256sum | cut -c1-16)
have=$($docker image inspect -f '{{index .Config.Labels "org.nsjudge.inputs"}}' "$image" 2>/dev/null || true)
if [ "$have" = "$inputs" ]; then
    echo "base-image: $image is up to date"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "base-image: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "base-image: debootstrap needs root" >&2; exit 1; }

echo "base-image: debootstrap --variant=minbase bookworm from $mirror"
tmp=$(mktemp -d /var/tmp/nsjudge-base.XXXXXX)
trap 'rm -rf "$tmp" "$tmp.log"' EXIT INT TERM
debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$tmp.log" 2>&1 ||
    { echo "base-image: debootstrap failed; the end of its log:" >&2; tail -n 20 "$tmp.log" >&2; exit 1; }

# What the official image has: updates and security sources, no caches,
# no recommended packages, apt lists not kept in layers.
rm -f "$tmp/etc/apt/sources.list"
cat >"$tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$tmp/etc/apt/apt.conf.d/90nsjudge"
rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin "$tmp"/var/cache/apt/archives/*.deb \
    "$tmp"/var/log/* "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/info"
# Left by debootstrap from the host; the container runtime provides these.
: >"$tmp/etc/hostname"
rm -f "$tmp/etc/resolv.conf" "$tmp/etc/hosts"

tar -C "$tmp" --numeric-owner -c . |
    $docker import -c 'CMD ["/bin/bash"]' -c "LABEL org.nsjudge.inputs=$inputs" \
        -m "debootstrap --variant=minbase bookworm" - "$image" >/dev/null
echo "base-image: $image imported ($($docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
