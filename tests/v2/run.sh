#!/bin/bash
# Runs the portable integration tests on a real cgroup-v2 host: a qemu guest
# booting Debian's cloud kernel with cgroup v1 disabled (this host is hybrid,
# so the v2 back end cannot be exercised here). See HOST-NOTES.md.
# usage: tests/v2/run.sh BUILD_DIR    (BUILD_DIR relative to the repo root)
# Exit 0 only if every guest pass (one-shot, Delegate=yes, warm slots)
# succeeded and no run-* cgroup was left.
set -eu
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/v2/run.sh BUILD_DIR}
out=$build/v2
root=$out/root

missing=""
for p in qemu-system-x86 linux-image-cloud-amd64 busybox-static cpio xz-utils; do
    s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$s" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "v2: missing packages:$missing (run scripts/deps.sh all as root)" >&2
    exit 1
fi
# The rootfs's /dev needs mknod, and the image must hold root-owned files.
if [ "$(id -u)" != 0 ]; then
    echo "v2: must run as root (mknod for the sandbox rootfs's /dev)" >&2
    exit 1
fi
for f in "$build/tests/test_integration" "$build/payloads/probe" "$build/payloads/interact"; do
    [ -x "$f" ] || { echo "v2: $f not built (make $f)" >&2; exit 1; }
done
# Two judge hosts' kernels, a guest each: Debian 12's cloud kernel (6.1;
# the newest if several are installed) and bookworm-backports' (6.12,
# Debian 13's series: there cgroup v2's memory.peak can be reset and warm
# slots keep their cgroups). V2_KERNELS=host or backports boots only one.
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || { echo "v2: no /boot/vmlinuz-*-cloud-amd64" >&2; exit 1; }
kernels="" moddirs=""
if [ "${V2_KERNELS:-all}" != backports ]; then
    kernels="$kernel" moddirs="/lib/modules/${kernel#/boot/vmlinuz-}"
fi
if [ "${V2_KERNELS:-all}" != host ]; then
    bp=$(tests/v2/kernel.sh) || { echo "v2: no bookworm-backports kernel (tests/v2/kernel.sh)" >&2; exit 1; }
    bpk=$(ls "$bp"/boot/vmlinuz-* | head -n 1)
    kernels="$kernels $bpk" moddirs="$moddirs $bp/lib/modules/${bpk##*/vmlinuz-}"
fi
# Kernel modules the sandbox needs that Debian builds as modules (a real host
# autoloads them; the guest has no /lib/modules): the overlay root.
modules="overlay"

mkdir -p "$out"
# The helper that reports the verdict to qemu: rebuilt only when changed.
if [ ! -x "$out/debug-exit" ] || [ tests/v2/debug-exit.c -nt "$out/debug-exit" ]; then
    gcc -O2 -static -Wall -o "$out/debug-exit" tests/v2/debug-exit.c
fi

# --- initramfs, regenerated each time (well under a second) ---
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run} \
         "$root"/nsjudge/{build/tests,build/payloads,seccomp,etc}
# / must be 755: the sandbox's root is an unmapped uid that has to walk down
# to its rootfs (a fresh directory from mkdir -p could have a tighter umask).
chmod 755 "$root"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
# `busybox --list` names busybox itself: linking it over the binary loops.
"$root/bin/busybox" --list-full | while read -r a; do
    [ "$a" = bin/busybox ] || [ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
# The kernel opens /dev/console before running /init (devtmpfs comes later).
mknod -m 600 "$root/dev/console" c 5 1
cp tests/v2/init "$root/init"
cp "$out/debug-exit" "$root/debug-exit"

cp "$build/tests/test_integration" "$root/nsjudge/build/tests/"
# The sandbox benchmark, when built (make v2 builds it): warm library runs
# and the cold CLI against the bare static true.
if [ -x "$build/bench/warm" ] && [ -x "$build/bench/true" ] && [ -x "$build/bench/abrun" ]; then
    mkdir -p "$root/nsjudge/build/bench"
    cp "$build/bench/warm" "$build/bench/true" "$build/bench/abrun" "$build/nsjudge" "$root/nsjudge/build/bench/"
    mv "$root/nsjudge/build/bench/nsjudge" "$root/nsjudge/build/nsjudge"
fi
cp "$build/payloads/probe" "$build/payloads/interact" "$root/nsjudge/build/payloads/"
cp seccomp/default.policy "$root/nsjudge/seccomp/"
cp etc/languages.conf "$root/nsjudge/etc/"
# Its shared libraries and loader, at the paths ldd reports (copied, not
# symlinked: Debian's /lib is a link to usr/lib, the image has no such link).
for lib in $(ldd "$build/tests/test_integration" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done

# Those modules and their dependencies, for busybox modprobe in /init, for
# each kernel (modprobe looks in /lib/modules/$(uname -r)); compressed ones
# (6.12's .ko.xz) unpacked, as busybox may not read them.
for mdir in $moddirs; do
    dest=$root/lib/modules/$(basename "$mdir")
    mkdir -p "$dest"
    for m in $modules; do
        line=$(grep -E "(^|/)$m\.ko(\.xz)?:" "$mdir/modules.dep") || { echo "v2: no module $m in $mdir" >&2; exit 1; }
        for ko in $(echo "$line" | tr -d :); do
            plain=${ko%.xz}
            mkdir -p "$dest/$(dirname "$ko")"
            case $ko in
                *.xz) xz -dc "$mdir/$ko" >"$dest/$plain" ;;
                *) cp "$mdir/$ko" "$dest/$plain" ;;
            esac
            grep -E "^$ko:" "$mdir/modules.dep" | sed 's/\.ko\.xz/.ko/g' >>"$dest/modules.dep"
        done
    done
done
echo "$modules" > "$root/modules"

# The sandbox's minimal rootfs: the tests copy their static probe into /code.
# /usr is empty but must exist: c_read_only_filesystems expects EROFS there.
min=$root/nsjudge/rootfs/min
mkdir -p "$min"/{proc,tmp,code,box,var/tmp,etc,usr}
chmod 1777 "$min/tmp" "$min/var/tmp"
rootfs/make-dev.sh "$min"

# Uncompressed: decompressing in an emulated guest costs more than copying.
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$out/initramfs.cpio"
echo "v2: initramfs $(du -h "$out/initramfs.cpio" | cut -f1), kernels: $kernels"

# --- boot: one guest per kernel ---
limit=1500
# boot KERNEL LOG: the guest's whole test; 0 when it reported PASS.
boot() {
    local kernel=$1 log=$2 start rc
    start=$(date +%s)
    echo "v2: booting $kernel"
    set +e
    # stdin from /dev/null: qemu must not take over the terminal. The console is
    # streamed to stdout (for make check's logs) and kept in the log, minus
    # CRs and the firmware's escape sequences (ESC c would reset the terminal).
    # -nic none: no network is needed, and no iPXE boot ROM then.
    # tsc=reliable: under TCG the guest distrusts its TSC and falls back to the
    # HPET, an emulated device read at every clock_gettime; that made a trivial
    # sandbox run cost 40-300 ms of CPU and broke k_two_hundred_runs' 100 ms
    # budget. With the TSC: 30-85 ms, and the whole VM run is faster.
    # 6.12 under this qemu (Debian 12's 7.2): with its CPU's cmpxchg16b,
    # SLUB's fast path double-faulted in kmem_cache_alloc within seconds;
    # without it, a vCPU ran code another had just patched (an int3 left
    # by text_poke: "Oops: int3" in get_random_u64). So: no cmpxchg16b,
    # and both vCPUs on one host thread (TCG's single-threaded mode).
    local accel=tcg cpu=qemu64
    case $kernel in /boot/*) ;; *) accel=tcg,thread=single cpu=qemu64,-cx16 ;; esac
    timeout "$limit" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m 1024 -smp 2 -nographic -no-reboot \
        -nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$kernel" -initrd "$out/initramfs.cpio" \
        -append 'console=ttyS0 quiet panic=-1 cgroup_no_v1=all tsc=reliable' </dev/null 2>&1 \
        | sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[A-Za-z]//g' | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    echo "v2: VM ran $(($(date +%s) - start)) s, qemu exit $rc"
    # qemu exits 1 for debug-exit 0 (pass), 3 for debug-exit 1 (fail), 0 if
    # the guest powered off or panicked without reporting, 124 on timeout.
    case $rc in
        1) if grep -q '^NSJUDGE-V2-RESULT: PASS$' "$log"; then
               echo "v2: PASS on ${kernel##*/vmlinuz-} (cgroup v2, every pass, no run cgroup left)"
               grep '^nsjudge-v2-bench:' "$log" || true
               return 0
           fi
           echo "v2: FAIL: qemu reported pass but the console has no PASS marker" ;;
        3) echo "v2: FAIL: the guest reported failure:"
           grep 'nsjudge-v2: FAIL' "$log" || true
           echo "v2: failed tests: $(sed -n 's/^\[  FAILED  \] \([a-z_]*\)$/\1/p' "$log" | sort -u | tr '\n' ' ')" ;;
        124) echo "v2: FAIL: the VM timed out after $limit s" ;;
        *) echo "v2: FAIL: the guest stopped without reporting a result (qemu exit $rc)" ;;
    esac
    return 1
}
failed=""
for k in $kernels; do
    boot "$k" "$out/console-${k##*/vmlinuz-}.log" || failed="$failed ${k##*/vmlinuz-}"
done
if [ -n "$failed" ]; then
    echo "v2: FAIL on:$failed"
    exit 1
fi
echo "v2: PASS on every kernel: $(for k in $kernels; do printf '%s ' "${k##*/vmlinuz-}"; done)"
