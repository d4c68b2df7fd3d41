#!/bin/bash
# Builds the judge-host image for make hosts: a Debian 12 system booted by
# its own kernel package and Debian's initramfs (initramfs-tools loads
# virtio_pci/virtio_blk and mounts the ext4 root, as on any Debian VM), with
# systemd as PID 1, then nsjudge installed into it by the README's install
# block ("Installing a judge host"), run as written in a chroot of the tree.
#
#   tests/hosts/image.sh BUILD_DIR      prints the image directory on stdout
#
# Why a disk image and not an initramfs root: a judge host carries ~400 MB
# (kernel modules, systemd, the Python rootfs); as an initramfs every guest
# would hold all of it in RAM and unpack it at every boot under TCG. The
# ext4 image is booted read-only with -snapshot (writes go to a temporary
# overlay), so two guests share one cached file and the cache never changes.
#
# Two cached layers under $NSJUDGE_HOSTS_CACHE (/var/cache/nsjudge/hosts),
# each keyed by a hash of its inputs, built in a temporary directory and
# renamed into place (an interrupted build leaves nothing half made):
#   base-KEY/     debootstrap of bookworm + the packages below (~1-2 min once)
#   judge-KEY/    disk.img (base + the install block), vmlinuz, initrd.img
#                 (seconds; rebuilt when the programs or data files change)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/hosts/image.sh BUILD_DIR}
cache=${NSJUDGE_HOSTS_CACHE:-/var/cache/nsjudge/hosts}
mirror=${NSJUDGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { echo "hosts-image: $*" >&2; }

# What any Debian host runs: systemd (and udev, dbus, networkd with it), its
# own kernel with initramfs-tools, iproute2, curl for the guest's own checks.
# Not the daemons' shared libraries: the README's install block installs
# them (apt-get), so a package it forgets fails this build.
packages="systemd systemd-sysv udev dbus iproute2 kmod procps curl linux-image-cloud-amd64 initramfs-tools zstd"

mkdir -p "$cache"
base_key=$( (echo "$packages"; echo "$mirror"; sed -n '/^# --- base ---$/,/^# --- end base ---$/p' "$0") |
    sha256sum | cut -c1-16)
base=$cache/base-$base_key
# --- base ---
if [ ! -f "$base/.done" ]; then
    log "building the base system $base (debootstrap bookworm; once)"
    t0=$(date +%s)
    tmp=$(mktemp -d "$cache/base.tmp.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    # Maintainer scripts run in the chroot (the kernel's postinst makes the
    # initramfs there); they find no running systemd and act offline.
    debootstrap --variant=minbase --include="$(echo $packages | tr ' ' ,)" bookworm "$tmp/root" "$mirror" \
        >"$tmp/debootstrap.log" 2>&1 || { tail -n 30 "$tmp/debootstrap.log" >&2; exit 1; }
    r=$tmp/root
    # Root on the first virtio disk; no swap; the console on the serial port.
    printf '/dev/vda / ext4 defaults 0 1\n' >"$r/etc/fstab"
    echo judge >"$r/etc/hostname"
    printf '127.0.0.1 localhost\n' >"$r/etc/hosts"
    # Root may log in on the console without a password (a test guest only).
    chroot "$r" passwd -d root >/dev/null
    # Each guest's address comes from its MAC (given by the test's qemu line).
    mkdir -p "$r/etc/systemd/network"
    for i in 11 12 13; do
        printf '[Match]\nMACAddress=52:54:00:15:00:%s\n[Network]\nAddress=10.15.0.%s/24\n' "$i" "$i" \
            >"$r/etc/systemd/network/10-judge-$i.network"
    done
    chroot "$r" systemctl enable systemd-networkd.service >/dev/null 2>&1
    # No getty on the consoles: the test reads them; nothing logs in.
    chroot "$r" systemctl mask serial-getty@ttyS0.service serial-getty@ttyS1.service getty@tty1.service \
        >/dev/null 2>&1
    # The journal stays in memory: the guest's disk is thrown away anyway.
    mkdir -p "$r/etc/systemd/journald.conf.d"
    printf '[Journal]\nStorage=volatile\n' >"$r/etc/systemd/journald.conf.d/nsjudge-test.conf"
    # APT's lists, for the install block's apt-get.
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    chroot "$r" apt-get update -qq >/dev/null
    rm -rf "$r/var/cache/apt/archives/"*.deb
    date +%s >"$tmp/root/.built"
    echo $(( $(date +%s) - t0 )) >"$tmp/seconds"
    touch "$tmp/.done"
    mv "$tmp" "$base"
    trap - EXIT
    log "base built in $(cat "$base/seconds") s ($(du -sh "$base/root" | cut -f1))"
fi
# --- end base ---
# Bases of other inputs are superseded.
for old in "$cache"/base-*; do
    [ "$old" = "$base" ] || rm -rf "$old"
done

# --- the judge host: the base plus nsjudge, installed by the README's block ---
# The block is the fenced sh code after the marker line in README.md.
block=$(awk '/<!-- judge-host-install -->/ {m = 1; next} m && /^```sh$/ {on = 1; next} on && /^```$/ {exit} on' README.md)
[ -n "$block" ] || { log "README.md has no judge-host install block"; exit 1; }
# What the block copies from the checkout.
files="$build/nsjudge $build/nsjudge-worker $build/nsjudge-api"
for f in $files; do [ -x "$f" ] || { log "$f not built"; exit 1; }; done
[ -f rootfs/python/.nsjudge-stamp ] || { log "rootfs/python not built (rootfs/build-debian.sh python)"; exit 1; }
judge_key=$( (echo "$base_key"; echo "$block"; sed -n '/^# --- judge ---$/,/^# --- end judge ---$/p' "$0"; cat $files; cat rootfs/python/.nsjudge-stamp;
    find etc seccomp sql docs web systemd -type f | sort | xargs cat) | sha256sum | cut -c1-16)
judge=$cache/judge-$judge_key
# --- judge ---
if [ ! -f "$judge/.done" ]; then
    log "building the judge-host image $judge"
    t0=$(date +%s)
    tmp=$(mktemp -d "$cache/judge.tmp.XXXXXX")
    trap 'umount "$tmp/root/src" 2>/dev/null; rm -rf "$tmp"' EXIT
    cp -a "$base/root" "$tmp/root"
    # The checkout, as the block expects it (programs in build/), bound
    # read-only at /src for the chroot.
    stage=$tmp/stage
    mkdir -p "$stage/build" "$stage/rootfs" "$tmp/root/src"
    cp $files "$stage/build/"
    cp -r etc seccomp sql docs web systemd "$stage/"
    cp -a rootfs/python "$stage/rootfs/python"
    mount --bind "$stage" "$tmp/root/src"
    mount -o remount,bind,ro "$tmp/root/src"
    # The block's apt-get fetches from the Debian mirror (as on a real host).
    if ! chroot "$tmp/root" /bin/sh -euxc "cd /src; $block" >"$tmp/install.txt" 2>&1; then
        cat "$tmp/install.txt" >&2
        log "the README's install block failed in the image (above)"
        exit 1
    fi
    umount "$tmp/root/src"
    rmdir "$tmp/root/src"
    rm -rf "$stage"
    # The test's hook: with nsjudge.test=ROLE on the kernel command line (and
    # only then), run the test driver from the tar on the second disk.
    cat >"$tmp/root/etc/systemd/system/nsjudge-test.service" <<'UNIT'
[Unit]
Description=make hosts: test driver from /dev/vdb
ConditionKernelCommandLine=nsjudge.test
After=multi-user.target

[Service]
Type=exec
ExecStart=/bin/sh -c 'mkdir -p /var/lib/nsjudge-test && tar -xf /dev/vdb -C /var/lib/nsjudge-test && exec /var/lib/nsjudge-test/guest.sh'

[Install]
WantedBy=multi-user.target
UNIT
    chroot "$tmp/root" systemctl enable nsjudge-test.service >/dev/null 2>&1
    # Boot time under TCG: no periodic housekeeping, no KVM modules (the
    # guest CPU advertises virtualisation it cannot use).
    chroot "$tmp/root" systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
        e2scrub_all.timer e2scrub_reap.service fstrim.timer >/dev/null 2>&1
    printf 'blacklist kvm\nblacklist kvm_amd\nblacklist kvm_intel\n' >"$tmp/root/etc/modprobe.d/nsjudge-test.conf"
    kver=$(ls "$tmp/root/lib/modules" | sort -V | tail -n 1)
    cp "$tmp/root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
    cp "$tmp/root/boot/initrd.img-$kver" "$tmp/initrd.img"
    size_mb=$(( $(du -sm "$tmp/root" | cut -f1) * 5 / 4 + 256 ))
    mkfs.ext4 -q -F -L judge -d "$tmp/root" "$tmp/disk.img" "${size_mb}M" >&2
    rm -rf "$tmp/root"
    echo $(( $(date +%s) - t0 )) >"$tmp/seconds"
    touch "$tmp/.done"
    mv "$tmp" "$judge"
    trap - EXIT
    log "judge-host image built in $(cat "$judge/seconds") s: disk.img ${size_mb} MB ($(du -sh "$judge/disk.img" | cut -f1) used)"
fi
# --- end judge ---
# Judge images unused for a day go (another checkout on this machine may be
# booting its own image right now: recent ones stay).
touch "$judge"
find "$cache" -maxdepth 1 -name 'judge-*' ! -path "$judge" -mmin +1440 -exec rm -rf {} +
echo "$judge"
