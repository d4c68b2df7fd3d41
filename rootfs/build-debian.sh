#!/bin/sh
# Builds rootfs/NAME from Debian's packages, for hosts with no container
# registry (`make rootfs`, `make check` and CI use this; hosts with one can
# export Docker images instead, see export-docker.sh).
#
#   rootfs/build-debian.sh NAME [OUT]     NAME: python gcc java node go
#
# One rootfs per toolchain: a C program cannot see javac, a Python program
# cannot see gcc; C and C++ share `gcc` (one compiler collection). Each tree
# is the dependency closure of the language's packages without dpkg, perl
# and docs, extracted with dpkg -x (no maintainer scripts run: the recipe
# below does the few steps they would). Idempotent: rebuilt only when the
# package set or this script changes; built in a temporary directory and
# renamed into place, so an interrupted build never leaves a half tree.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: build-debian.sh NAME [OUT]}
out=${2:-$here/$name}
cache=${NSJUDGE_CACHE:-$here/.cache}

case $name in
python) pkgs="python3" ;;
gcc) pkgs="gcc g++ libc6-dev" ;;
java) pkgs="openjdk-17-jdk-headless" ;;
node) pkgs="nodejs" ;;
go) pkgs="golang-go libc6-dev" ;;
*) echo "rootfs: unknown rootfs '$name' (python gcc java node go)" >&2; exit 2 ;;
esac
# Never needed at run time inside a sandbox.
drop='^(dpkg|perl|perl-base|perl-modules-[^=]*|libperl[^=]*|tar|mailcap|media-types|mime-support|install-info|debconf|ca-certificates|ca-certificates-java|java-common|openssl|adduser|passwd|dpkg-dev|make|patch|bzip2|xz-utils|manpages|manpages-dev)='

# The closure as APT would install it on an empty system: exact versions
# from Debian's repositories, whatever this host happens to have installed
# (e.g. a newer nodejs from another repository, which cannot be fetched).
closure=$(apt-get -s -o Dir::State::status=/dev/null install --no-install-recommends $pkgs |
      awk '/^Inst/ { v = $3; gsub(/[()]/, "", v); print $2 "=" v }' | sort -u | grep -Ev "$drop")
[ -n "$closure" ] || { echo "rootfs: APT resolved nothing for $pkgs (apt-get update?)" >&2; exit 1; }
stamp=$( (echo "$closure"; cat "$0" "$here/make-dev.sh") | sha256sum | cut -d' ' -f1)
if [ -f "$out/.nsjudge-stamp" ] && [ "$(cat "$out/.nsjudge-stamp")" = "$stamp" ]; then
    echo "rootfs: $out is up to date"
    exit 0
fi

echo "rootfs: building $out from Debian packages ($pkgs)"
mkdir -p "$cache/debs"
(cd "$cache/debs" && apt-get download $closure >/dev/null)
tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
for pv in $closure; do
    p=${pv%%=*} v=$(echo "${pv#*=}" | sed 's/:/%3a/')
    deb=$(ls "$cache/debs/${p}_${v}_"*.deb 2>/dev/null | head -n1)
    [ -n "$deb" ] || { echo "rootfs: no .deb downloaded for $pv" >&2; exit 1; }
    dpkg -x "$deb" "$tmp"
done

# The sandbox's mount points (the tree itself is mounted read-only).
mkdir -p "$tmp/proc" "$tmp/tmp" "$tmp/code" "$tmp/box" "$tmp/var/tmp" "$tmp/etc"
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
"$here/make-dev.sh" "$tmp"
rm -rf "$tmp/usr/share/doc" "$tmp/usr/share/man" "$tmp/usr/share/info" "$tmp/usr/share/locale"
# Identity files: uid 1000 is the sandboxed program (include/nsjudge/sandbox.h).
printf 'root:x:0:0:root:/tmp:/bin/false\nsandbox:x:1000:1000:sandbox:/tmp:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nsandbox:x:1000:\n' >"$tmp/etc/group"
printf '127.0.0.1 localhost sandbox\n::1 localhost\n' >"$tmp/etc/hosts"
printf 'sandbox\n' >"$tmp/etc/hostname"

# What the maintainer scripts (or update-alternatives) would have done, and
# a smoke test that the toolchain runs in the tree.
case $name in
python)
    # Without .pyc files every run pays ~40% more start-up time (HOST-NOTES).
    # (-j1: parallel compileall needs /dev/shm, which the bare chroot lacks.)
    chroot "$tmp" /usr/bin/python3 -m compileall -q -j1 /usr/lib/python3.11 >/dev/null
    chroot "$tmp" /usr/bin/python3 -c 'import json, re, collections, sys' ;;
gcc)
    for t in gcc g++ cpp; do [ -e "$tmp/usr/bin/$t" ] || ln -s "$t-12" "$tmp/usr/bin/$t"; done
    printf 'int main(void){return 0;}\n' >"$tmp/tmp/t.c"
    chroot "$tmp" /usr/bin/gcc -O2 -o /tmp/t /tmp/t.c
    chroot "$tmp" /tmp/t
    rm -f "$tmp/tmp/t" "$tmp/tmp/t.c" ;;
java)
    jvm=$(cd "$tmp/usr/lib/jvm" && ls -d java-17-openjdk-* | head -n1)
    for t in java javac; do ln -sf "/usr/lib/jvm/$jvm/bin/$t" "$tmp/usr/bin/$t"; done
    # The JVM reads /proc at start; Debian's JDK ships its class-data-sharing
    # archive (lib/server/classes.jsa), so nothing to dump.
    mount -t proc proc "$tmp/proc"
    ok=0
    chroot "$tmp" /usr/bin/java -Xshare:auto -version >/dev/null 2>&1 && ok=1
    umount "$tmp/proc"
    [ "$ok" = 1 ] || { echo "rootfs: java does not start in the new tree" >&2; exit 1; } ;;
node)
    chroot "$tmp" /usr/bin/node -e 'process.exit(0)' ;;
go)
    [ -e "$tmp/usr/bin/go" ] || ln -s ../lib/go-1.19/bin/go "$tmp/usr/bin/go"
    chroot "$tmp" /usr/bin/go version >/dev/null ;;
esac

echo "$stamp" >"$tmp/.nsjudge-stamp"
chmod 755 "$tmp"
rm -rf "$out.old"
[ -d "$out" ] && mv "$out" "$out.old"
mv "$tmp" "$out"
trap - EXIT INT TERM
rm -rf "$out.old"
echo "rootfs: $out ready ($(du -sh "$out" | cut -f1))"
