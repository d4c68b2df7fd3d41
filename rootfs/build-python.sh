#!/bin/sh
# Builds rootfs/python from Debian's packages, for hosts with no container
# registry (this is what `make check` and CI use). The design's path on hosts
# with a registry is rootfs/export-docker.sh (docker/Dockerfile.python).
#
# Idempotent: the tree is rebuilt only when the package set or this script
# changes (a stamp records both); the build goes to a temporary directory and
# is renamed into place, so an interrupted build never leaves a half tree.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/python}
cache=${NSJUDGE_CACHE:-$here/.cache}
# Packages a Python program never needs at run time (HOST-NOTES).
drop='^(dpkg|perl|perl-base|perl-modules-.*|libperl.*|tar|mailcap|media-types|mime-support|install-info)$'

pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances python3 |
       grep -v '^ ' | grep -v '<' | sort -u | grep -Ev "$drop")
# The stamp names every package with its candidate version, plus this script.
stamp=$( (apt-cache policy $pkgs | awk '/^[^ ]/ {p=$1} /Candidate:/ {print p, $2}'
          cat "$0" "$here/make-dev.sh") | sha256sum | cut -d' ' -f1)

if [ -f "$out/.nsjudge-stamp" ] && [ "$(cat "$out/.nsjudge-stamp")" = "$stamp" ]; then
    echo "rootfs: $out is up to date"
    exit 0
fi

echo "rootfs: building $out from Debian packages"
mkdir -p "$cache/debs"
(cd "$cache/debs" && apt-get download $pkgs >/dev/null)

tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
for p in $pkgs; do
    deb=$(ls -t "$cache/debs/${p}_"*.deb 2>/dev/null | head -n1)
    [ -n "$deb" ] || { echo "rootfs: no .deb downloaded for $p" >&2; exit 1; }
    dpkg -x "$deb" "$tmp"
done

# Mount points the sandbox needs; the tree itself is mounted read-only.
mkdir -p "$tmp/proc" "$tmp/tmp" "$tmp/code" "$tmp/box" "$tmp/var/tmp" "$tmp/etc"
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
"$here/make-dev.sh" "$tmp"
rm -rf "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/info" "$tmp/usr/share/locale"
# Identity files: uid 1000 is the sandboxed program (see include/nsjudge/sandbox.h).
printf 'root:x:0:0:root:/tmp:/bin/false\nsandbox:x:1000:1000:sandbox:/tmp:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nsandbox:x:1000:\n' >"$tmp/etc/group"
printf '127.0.0.1 localhost sandbox\n::1 localhost\n' >"$tmp/etc/hosts"
printf 'sandbox\n' >"$tmp/etc/hostname"

# Without .pyc files every run pays ~40% more start-up time (HOST-NOTES).
# (-j1: parallel compileall needs /dev/shm, which the bare chroot lacks.)
chroot "$tmp" /usr/bin/python3 -m compileall -q -j1 /usr/lib/python3.11 >/dev/null
chroot "$tmp" /usr/bin/python3 -c 'import json, re, collections, sys; print(sys.version.split()[0])' >/dev/null

echo "$stamp" >"$tmp/.nsjudge-stamp"
chmod 755 "$tmp"
rm -rf "$out.old"
[ -d "$out" ] && mv "$out" "$out.old"
mv "$tmp" "$out"
trap - EXIT INT TERM
rm -rf "$out.old"
echo "rootfs: $out ready ($(du -sh "$out" | cut -f1))"
