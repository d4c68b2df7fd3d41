#!/bin/sh
# Gives a rootfs an empty /dev: only a mount point. Each run gets its own
# /dev (a tmpfs with null, zero, full, random, urandom and the std* links,
# made by the supervisor, see mounts_make_dev in src/sandbox/mounts.c), so
# no device node of the rootfs is ever used; any found here is removed.
set -eu
root=$1
rm -rf "$root/dev"
mkdir -m 755 "$root/dev"
