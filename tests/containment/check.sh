#!/bin/sh
# make containment: the attack corpus under the namespace back end, one-shot
# and through warm slots. Every
# program must be held, and nothing may be left behind: no run cgroup of a
# supervisor that has exited, no sandbox process in one, no mount in the
# host's namespace, no scratch mount or build directory. (Other sandboxes
# running on the host at the same time are not leftovers: their supervisors
# are alive and hold their locks; other work's mounts and /tmp files are not
# ours to count.)
set -eu
build=${1:-build}

# run-<pid>-<n> cgroups whose supervisor pid no longer exists, with their tasks.
dead_runs() {
    find /sys/fs/cgroup -maxdepth 6 -type d -name 'run-*' 2>/dev/null | while read -r d; do
        pid=$(basename "$d" | cut -d- -f2)
        kill -0 "$pid" 2>/dev/null || echo "$d ($(wc -l <"$d/cgroup.procs") tasks)"
    done
}
host_mounts() { grep -c -e "$(pwd)/rootfs/" -e ' /run/nsjudge/' /proc/self/mountinfo || true; }
# Scratch mounts whose owner is gone (their lock is free), and build
# directories of the kind the CLI once left in /tmp.
temps() {
    for l in /run/nsjudge/scratch/*.lock; do
        [ -e "$l" ] && flock -n "$l" true && echo "$l"
    done
    ls -d /tmp/nsjudge-build-* 2>/dev/null
    true
}

mounts_before=$(host_mounts)
temps_before=$(temps | sort)
status=0
# Twice: the CLI's one-shot runs, then the worker's warm slots.
"$build/tests/corpus-runner" --nsjudge "$build/nsjudge" tests/containment || status=$?
"$build/tests/corpus-runner" --warm --nsjudge "$build/nsjudge" tests/containment || status=$?
sleep 1   # let the last supervisors finish exiting
left=$(dead_runs)
new_temps=$(temps | sort | grep -vxF "$temps_before" || true)
[ "$(host_mounts)" = "$mounts_before" ] || { echo "containment: mounts left in the host namespace" >&2; status=1; }
[ -z "$left" ] || { echo "containment: run cgroups of exited supervisors left: $left" >&2; status=1; }
[ -z "$new_temps" ] || { echo "containment: temporary files left: $new_temps" >&2; status=1; }
[ "$status" = 0 ] && echo "containment: nothing left behind"
exit $status
