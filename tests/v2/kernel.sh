#!/bin/bash
# Fetches Debian's cloud kernel from bookworm-backports -- the 6.12 series,
# Debian 13's -- for make v2's second guest: a judge host on a newer kernel
# than Debian 12's 6.1, where cgroup v2's memory.peak can be reset (Linux
# >= 6.12) and warm slots keep their cgroups (src/sandbox/cgroup_v2.c).
# Prints the directory that holds boot/vmlinuz-KVER and lib/modules/KVER
# (with modules.dep). Nothing of the host changes: apt runs with private
# lists and cache, against the Debian archive's keyring; the package is
# unpacked, not installed. Offline, the last kernel fetched is used.
# usage: tests/v2/kernel.sh
set -eu
cache=${NSJUDGE_V2_KERNEL_CACHE:-/var/cache/nsjudge/v2-kernel}
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
cat >"$apt_dir/parts/backports.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
opts=(-q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/parts"
      -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o Dir::State::status=/dev/null
      -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
newest_cached() { ls -d "$cache"/linux-image-*/.done 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname; }

pkg=""
if apt-get "${opts[@]}" update >"$apt_dir/update.log" 2>&1; then
    # The meta package names the current image package.
    pkg=$(apt-cache "${opts[@]}" depends linux-image-cloud-amd64 2>/dev/null |
          sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1)
fi
if [ -z "$pkg" ]; then
    dir=$(newest_cached)
    [ -n "$dir" ] || { echo "v2 kernel: bookworm-backports unreachable and none cached ($apt_dir/update.log)" >&2; exit 1; }
    echo "v2 kernel: bookworm-backports unreachable: using the cached $(basename "$dir")" >&2
    echo "$dir"
    exit 0
fi
dir=$cache/$pkg
if [ ! -e "$dir/.done" ]; then
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$dir.tmp/deb"
    (cd "$dir.tmp/deb" && apt-get "${opts[@]}" download "$pkg" >/dev/null 2>&1) ||
        { echo "v2 kernel: apt-get download $pkg failed" >&2; rm -rf "$dir.tmp"; exit 1; }
    dpkg-deb -x "$dir.tmp"/deb/*.deb "$dir.tmp"
    rm -rf "$dir.tmp/deb"
    kver=$(ls "$dir.tmp/lib/modules")
    /sbin/depmod -b "$dir.tmp" "$kver"
    : >"$dir.tmp/.done"
    mv "$dir.tmp" "$dir"
    # Only the current one is kept.
    for old in "$cache"/linux-image-*; do
        [ "$old" = "$dir" ] || rm -rf "$old"
    done
    echo "v2 kernel: fetched $pkg ($(du -sh "$dir" | cut -f1))" >&2
fi
echo "$dir"
