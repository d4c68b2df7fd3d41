#!/bin/sh
# rootfs/python from Debian's packages (see build-debian.sh).
exec "$(dirname "$0")/build-debian.sh" python "$@"
