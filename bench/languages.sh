#!/bin/sh
# make bench-languages: each language of etc/languages.conf, bare and in the
# sandbox, side by side in one run (bench/abrun alternates the two commands
# run by run, so a noisy machine slows both alike).
#
# Programs, the same in every language: hello ("hello, world") and a
# CPU-bound sieve of Eratosthenes (primes up to 10^6, repeated R times, R
# per language so that each takes ~0.2-0.5 s of CPU; prints 78498).
#
# Bare: the rootfs's own interpreter or compiler, on the host kernel, in a
# chroot of the language's rootfs (bench/chrootrun: chroot + exec, no libc,
# its own cost measured and printed), with /proc and a /dev of null, zero,
# full, random, urandom mounted in the chroot for the run (the JVM needs
# /proc, go build needs /dev/null; unmounted on exit). Same command line as
# the language table's, {memory_mb} = 256 (nsjudge's default --memory), the
# same environment (PATH, HOME=/tmp, LANG=C.UTF-8, the table's env).
#
# Sandboxed: `nsjudge run --lang L FILE`. hello runs twice: with nsjudge's
# default limits (as a submission gets them: 0.5 CPU) and with --cpus 0
# (no CPU quota: the sandbox's own cost); the sieve with --time 10 --cpus 1
# so that the CPU quota does not throttle its (single) computing thread.
#
# Compiled languages (c, cpp, java, go) get two rows per program:
#   run step       the artefact compiled once outside the timing (in the
#                  chroot) vs the same artefact run by nsjudge through a
#                  one-off copy of the table whose [L-runstep] runs it from
#                  /code instead of /box: run against run, the fair number;
#   compile + run  a bare compile in the chroot then the run, vs the full
#                  `nsjudge run` (compile step in the sandbox, then the run);
#                  for hello (default limits) and the sieve.
#
# Usage: bench/languages.sh BUILD_DIR (root; ~3 minutes). Environment:
# BENCH_LANGS, BENCH_RUNS_HELLO (30), BENCH_RUNS_CPU, BENCH_RUNS_COMPILE (10
# each, abrun's minimum). Writes bench/results/languages.md and prints it.
set -eu
build=${1:-build}
out=bench/results/languages.md
table=${NSJUDGE_LANGUAGES:-etc/languages.conf}
langs=${BENCH_LANGS:-python c cpp java javascript go}
runs_hello=${BENCH_RUNS_HELLO:-30}
runs_cpu=${BENCH_RUNS_CPU:-10}
runs_compile=${BENCH_RUNS_COMPILE:-10}
memory_mb=256
extra_env=""
load=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$(id -u)" = 0 ] || { echo "bench: needs root (chroot, mount)" >&2; exit 1; }
[ -x "$build/nsjudge" ] || { echo "bench: $build/nsjudge missing (make)" >&2; exit 1; }
case $build in /*) ;; *) build=$PWD/$build ;; esac
ns=$build/nsjudge
abrun=$build/bench/abrun
chrootrun=$build/bench/chrootrun
mkdir -p "$build/bench" bench/results
cc -O2 -o "$abrun" bench/abrun.c
cc -O2 -static -nostdlib -o "$chrootrun" bench/chrootrun.c
cc -O2 -static -nostdlib -o "$build/bench/true" bench/true.c

work=$(mktemp -d /tmp/nsjudge-bench.XXXXXX)
mounts="" # mount points to unmount on exit
dirs="$work"
cleanup() {
    for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    # Never rm -rf through a mount left behind (the rootfs is bound there).
    if ! grep -q " $work/" /proc/self/mounts; then
        for d in $dirs; do rm -rf "$d"; done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# conf LANG KEY -> the value of KEY in [LANG] of the language table
conf() {
    awk -v s="[$1]" -v k="$2" '
        /^[ \t]*\[/ { sec = $0; gsub(/[ \t]/, "", sec); in_s = (sec == s); next }
        in_s {
            line = $0; sub(/#.*/, "", line)
            if (match(line, "^[ \t]*" k "[ \t]*=")) {
                v = substr(line, RLENGTH + 1); gsub(/^[ \t]+|[ \t]+$/, "", v); print v; exit
            }
        }' "$table"
}

# xform DIR: the table's sandbox paths (/code/, /box, /tmp/) moved under DIR
# (inside the chroot), {memory_mb} expanded.
xform() {
    sed -e 's|/box|@D@/box|g' -e 's|/code/|@D@/code/|g' -e 's|/tmp/|@D@/tmp/|g' \
        -e "s|@D@|$1|g" -e "s|{memory_mb}|$memory_mb|g"
}

# bare_root ROOTFS -> broot: the bare side's root, made once per rootfs: a
# private, read-only bind mount of the rootfs under $work with a fresh /tmp
# (tmpfs: the scratch files), /proc and a /dev of null, zero, full, random,
# urandom. Never mounts on the rootfs itself: overlayfs refuses a lower
# layer with submounts, so concurrent nsjudge runs of it would fail
# (internal_error "mount overlay: Invalid argument"); and the bind mount is
# private, so nothing propagates back to the rootfs.
bare_root() {
    broot=$work/root-$(basename "$1")
    [ -d "$broot" ] && return
    mkdir "$broot"
    mount --bind "$1" "$broot"
    mounts="$broot $mounts"
    mount --make-private "$broot"
    mount -o remount,bind,ro "$broot"
    mount -t tmpfs -o mode=1777,size=512m,nosuid,nodev nsjudge-bench "$broot/tmp"
    mounts="$broot/tmp $mounts"
    mount -t tmpfs -o mode=755,size=64k,nosuid nsjudge-bench "$broot/dev"
    mounts="$broot/dev $mounts"
    for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9; do
        IFS=: read -r n ma mi <<EOF
$d
EOF
        mknod -m 666 "$broot/dev/$n" c "$ma" "$mi"
    done
    mount -t proc -o nosuid,nodev,noexec proc "$broot/proc"
    mounts="$broot/proc $mounts"
}

# sources LANG DIR R: hello/code/SRC and sieve/code/SRC under DIR
sources() {
    src=$(conf "$1" source)
    mkdir -p "$2/hello/code" "$2/sieve/code"
    h=$2/hello/code/$src s=$2/sieve/code/$src
    case $1 in
    python)
        echo 'print("hello, world")' >"$h"
        cat >"$s" <<EOF
N, R = 1000000, $3
count = 0
for _ in range(R):
    composite = bytearray(N + 1)
    count = 0
    for i in range(2, N + 1):
        if not composite[i]:
            count += 1
            if i <= N // i:
                for j in range(i * i, N + 1, i):
                    composite[j] = 1
print(count)
EOF
        ;;
    c)
        printf '#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }\n' >"$h"
        cat >"$s" <<EOF
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
    int N = 1000000, R = $3, count = 0;
    char *composite = malloc(N + 1);
    for (int r = 0; r < R; r++) {
        for (int i = 0; i <= N; i++)
            composite[i] = 0;
        count = 0;
        for (int i = 2; i <= N; i++)
            if (!composite[i]) {
                count++;
                if (i <= N / i)
                    for (int j = i * i; j <= N; j += i)
                        composite[j] = 1;
            }
    }
    printf("%d\n", count);
    return 0;
}
EOF
        ;;
    cpp)
        printf '#include <iostream>\nint main() { std::cout << "hello, world\\n"; }\n' >"$h"
        cat >"$s" <<EOF
#include <iostream>
#include <vector>
int main()
{
    const int N = 1000000, R = $3;
    int count = 0;
    for (int r = 0; r < R; r++) {
        std::vector<char> composite(N + 1, 0);
        count = 0;
        for (int i = 2; i <= N; i++)
            if (!composite[i]) {
                count++;
                if (i <= N / i)
                    for (int j = i * i; j <= N; j += i)
                        composite[j] = 1;
            }
    }
    std::cout << count << '\n';
}
EOF
        ;;
    java)
        cat >"$h" <<'EOF'
public class Main {
    public static void main(String[] args) {
        System.out.println("hello, world");
    }
}
EOF
        cat >"$s" <<EOF
public class Main {
    public static void main(String[] args) {
        final int N = 1000000, R = $3;
        int count = 0;
        for (int r = 0; r < R; r++) {
            boolean[] composite = new boolean[N + 1];
            count = 0;
            for (int i = 2; i <= N; i++)
                if (!composite[i]) {
                    count++;
                    if (i <= N / i)
                        for (int j = i * i; j <= N; j += i)
                            composite[j] = true;
                }
        }
        System.out.println(count);
    }
}
EOF
        ;;
    javascript)
        echo 'console.log("hello, world");' >"$h"
        cat >"$s" <<EOF
const N = 1000000, R = $3;
let count = 0;
for (let r = 0; r < R; r++) {
    const composite = new Uint8Array(N + 1);
    count = 0;
    for (let i = 2; i <= N; i++)
        if (!composite[i]) {
            count++;
            if (i <= Math.floor(N / i))
                for (let j = i * i; j <= N; j += i)
                    composite[j] = 1;
        }
}
console.log(count);
EOF
        ;;
    go)
        printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello, world") }\n' >"$h"
        cat >"$s" <<EOF
package main

import "fmt"

func main() {
	const N, R = 1000000, $3
	count := 0
	for r := 0; r < R; r++ {
		composite := make([]bool, N+1)
		count = 0
		for i := 2; i <= N; i++ {
			if !composite[i] {
				count++
				if i <= N/i {
					for j := i * i; j <= N; j += i {
						composite[j] = true
					}
				}
			}
		}
	}
	fmt.Println(count)
}
EOF
        ;;
    *) echo "bench: no programs for language $1" >&2; exit 1 ;;
    esac
}

# Repetitions of the sieve per language: ~0.2-0.5 s of CPU each, here.
reps() {
    case $1 in python) echo 1 ;; javascript) echo 40 ;; java) echo 40 ;; *) echo 100 ;; esac
}

# field NAME LINE -> value of NAME=... in an abrun output line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ms() { awk "BEGIN { printf \"%.1f\", $1 / 1000 }"; }

# The environment of both sides: the sandbox's clean one, plus the caller's
# NSJUDGE_* settings for nsjudge (and $extra_env).
base_env="PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 $(env | grep '^NSJUDGE_' | tr '\n' ' ')"

# bench RUNS "BARE CMD" "NSJUDGE CMD" -> am, bm (median microseconds)
bench() {
    res=$(env -i $base_env $extra_env "$abrun" "$1" 2 -- $2 -- $3)
    am=$(field median_us "$(echo "$res" | sed -n 's/^A //p')")
    bm=$(field median_us "$(echo "$res" | sed -n 's/^B //p')")
}

# check WHAT WANT CMD...: one run, its output must hold WANT (and nsjudge's
# JSON status "ok": nsjudge exits 0 on any verdict, abrun only sees that).
check() {
    what=$1 want=$2
    shift 2
    o=$(env -i $base_env $extra_env "$@" 2>&1) || true
    case $o in
    *'"status":'*) case $o in *'"status":"ok"'*"$want"*) return 0 ;; esac ;;
    *"$want"*) return 0 ;;
    esac
    echo "bench: $what: expected '$want', got:" >&2
    echo "$o" | head -c 2000 >&2
    echo >&2
    exit 1
}

rows=""
row() { rows="$rows| $1 | $2 | $(ms "$3") ms | $(ms "$4") ms | $(awk "BEGIN { printf \"%.2f\", $4 / $3 }")× |
"; echo "  $1 $2: bare $(ms "$3") ms, nsjudge $(ms "$4") ms" >&2; }

runtable=$work/languages.conf
cp "$table" "$runtable"

for lang in $langs; do
    rfs=$(conf "$lang" rootfs)
    [ -n "$rfs" ] || { echo "bench: no [$lang] in $table" >&2; exit 1; }
    case $rfs in /*) root=$rfs ;; *) root=${NSJUDGE_ROOTFS_DIR:-rootfs}/$rfs ;; esac
    [ -d "$root/usr" ] || { echo "bench: $root missing (make rootfs)" >&2; exit 1; }
    bare_root "$(cd "$root" && pwd)"
    root=$broot inside=/tmp/$lang host=$broot/tmp/$lang
    mkdir -p "$host"
    sources "$lang" "$host" "$(reps "$lang")"
    src=$(conf "$lang" source) run=$(conf "$lang" run) compile=$(conf "$lang" compile) lenv=$(conf "$lang" env)
    echo "bench: $lang" >&2
    # Three measurements: hello as a submission gets it (default limits),
    # hello with --cpus 0 (no CPU quota: the sandbox's own cost), the sieve.
    for case_ in hello hello-cpus0 sieve; do
        case $case_ in
        hello) prog=hello label="hello" want="hello, world" runs=$runs_hello lim="" ;;
        hello-cpus0) prog=hello label="hello --cpus 0" want="hello, world" runs=$runs_hello lim="--cpus 0" ;;
        sieve) prog=sieve label="sieve --cpus 1" want=78498 runs=$runs_cpu lim="--time 10 --cpus 1" ;;
        esac
        d=$inside/$prog
        bare_run=$(echo "$run" | xform "$d")
        extra_env=""
        if [ -z "$compile" ]; then
            check "$lang $label bare" "$want" "$chrootrun" "$root" $bare_run
            check "$lang $label nsjudge" "$want" "$ns" run --lang "$lang" $lim "$root$d/code/$src"
            bench "$runs" "$chrootrun $root $bare_run" "$ns run --lang $lang $lim $root$d/code/$src"
            row "$lang" "$label" "$am" "$bm"
            continue
        fi
        benv=$(echo "$lenv" | xform "$d")
        if [ ! -d "$root$d/box" ]; then
            # Compile once, outside the timing, in the chroot. (The table's
            # command lines are split on blanks, as its parser does.)
            mkdir -p "$root$d/box" "$root$d/tmp"
            # shellcheck disable=SC2046
            env -i $base_env $benv "$chrootrun" "$root" $(echo "$compile" | xform "$d") >"$work/compile.log" 2>&1 ||
                { cat "$work/compile.log" >&2; echo "bench: $lang $prog: bare compile failed" >&2; exit 1; }
        fi
        # Run step: the artefact (one file) through [LANG-runstep].
        art=$(ls "$root$d/box")
        if [ "$(echo "$art" | wc -l)" = 1 ]; then
            if ! grep -q "^\[$lang-runstep\]" "$runtable"; then
                {
                    echo
                    echo "[$lang-runstep]"
                    echo "version = run step of $lang (bench/languages.sh)"
                    echo "rootfs  = $rfs"
                    echo "source  = $art"
                    echo "run     = $(echo "$run" | sed 's|/box|/code|g')"
                    [ -z "$lenv" ] || echo "env     = $lenv"
                    p=$(conf "$lang" run_pids_min); [ -z "$p" ] || echo "run_pids_min = $p"
                    m=$(conf "$lang" run_memory_extra); [ -z "$m" ] || echo "run_memory_extra = $m"
                } >>"$runtable"
            fi
            extra_env="NSJUDGE_LANGUAGES=$runtable"
            check "$lang $label bare run" "$want" "$chrootrun" "$root" $bare_run
            check "$lang $label nsjudge run step" "$want" "$ns" run --lang "$lang-runstep" $lim "$root$d/box/$art"
            bench "$runs" "$chrootrun $root $bare_run" "$ns run --lang $lang-runstep $lim $root$d/box/$art"
            row "$lang" "$label, run step" "$am" "$bm"
            extra_env=""
        else
            echo "bench: $lang $prog: the artefact is several files, no run-step row" >&2
        fi
        [ "$case_" != hello-cpus0 ] || continue
        # Compile + run, in a directory of its own: a fresh box/ and tmp/
        # each time, as in the sandbox.
        c=$d-cr
        mkdir -p "$root$c"
        cp -r "$root$d/code" "$root$c/"
        cbare_run=$(echo "$run" | xform "$c")
        script=$work/$lang-$prog.sh
        {
            echo "#!/bin/sh"
            echo "set -e"
            echo "rm -rf '$root$c/box' '$root$c/tmp'; mkdir '$root$c/box' '$root$c/tmp'"
            for v in $(echo "$lenv" | xform "$c"); do echo "export $v"; done
            echo "'$chrootrun' '$root' $(echo "$compile" | xform "$c")"
            echo "exec '$chrootrun' '$root' $cbare_run"
        } >"$script"
        chmod 755 "$script"
        check "$lang $label bare compile + run" "$want" "$script"
        check "$lang $label nsjudge compile + run" "$want" "$ns" run --lang "$lang" $lim "$root$d/code/$src"
        bench "$runs_compile" "$script" "$ns run --lang $lang $lim $root$d/code/$src"
        row "$lang" "$label, compile + run" "$am" "$bm"
    done
done

# What the bare side's chroot + exec costs by itself.
cp "$build/bench/true" "$work/true"
bench 200 "$chrootrun / $work/true" "$work/true"
chroot_us=$(awk "BEGIN { printf \"%.2f\", ($am - $bm) / 1000 }")
backend=$(mount | grep -q 'cgroup2 on /sys/fs/cgroup type' && echo v2 || echo v1)

{
    echo "### Languages: bare vs nsjudge (make bench-languages)"
    echo
    echo "$(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs, cgroup $backend; medians of wall time, each"
    echo "nsjudge run alternated with its bare counterpart (hello: $runs_hello runs, sieve: $runs_cpu,"
    echo "compile + run: $runs_compile); load average before the run: $load."
    echo
    echo "| language | program | bare median | nsjudge median | ratio |"
    echo "|---|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo "- bare: the rootfs's own binaries on the host kernel in a chroot (bench/chrootrun, whose"
    echo "  chroot + exec costs $chroot_us ms a run, included), same command line and environment as"
    echo "  the language table's; /proc and a minimal /dev mounted in the chroot."
    echo "- hello: nsjudge's default limits (0.5 CPU, 256 MiB), as a submission gets them: the CFS quota"
    echo "  (50 ms of CPU per 100 ms) throttles a start-up that needs more (node, the JVM). \`hello --cpus 0\`:"
    echo "  no CPU quota, the sandbox's own cost. sieve: primes to 10^6, repeated (python ×$(reps python), javascript"
    echo "  and java ×$(reps java), c, cpp and go ×$(reps c)), with --time 10 --cpus 1: one core, the bare run may use"
    echo "  both (the JVM's JIT compiler threads, Go's GC workers run beside the sieve)."
    echo "- run step: the artefact compiled once outside the timing, run bare vs run by nsjudge (from"
    echo "  /code through a one-off [L-runstep] copy of the table entry, instead of /box): run vs run;"
    echo "  nsjudge reads the artefact and writes it into /code, which the judge's /box bind does not"
    echo "  (~1.5 ms for Go's 1.8 MB static binary, per NSJUDGE_TRACE=1)."
    echo "- compile + run: a bare compile in the chroot then the run (a /bin/sh script, which also"
    echo "  empties box/ and tmp/ as the sandbox starts them empty), vs the full \`nsjudge run\` (compile"
    echo "  step in the sandbox, then the run). The compile step has its own limits (compile_limits in"
    echo "  etc/languages.conf: one whole CPU); the bare compile may use both cores (g++ -pipe, javac, go build)."
} >"$out"
cat "$out"
