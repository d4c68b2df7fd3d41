#!/bin/sh
# make containment: the attack corpus under the namespace back end. Every
# program must be held, and nothing may be left behind: no process of the
# sandbox's host uids, no run cgroup, no mount, no temporary file.
set -eu
build=${1:-build}

sandbox_procs() {
    for s in /proc/[0-9]*/status; do
        awk '/^Uid:/ { if ($2 == 100000 || $2 == 100001) print }' "$s" 2>/dev/null
    done | wc -l
}
run_cgroups() { find /sys/fs/cgroup -maxdepth 6 -type d -name 'run-*' 2>/dev/null | wc -l; }
mounts() { wc -l </proc/self/mountinfo; }
temps() { ls -d /tmp/nsjudge-* 2>/dev/null | wc -l; }

before="$(sandbox_procs) $(run_cgroups) $(mounts) $(temps)"
status=0
"$build/tests/corpus-runner" --nsjudge "$build/nsjudge" tests/containment || status=$?
after="$(sandbox_procs) $(run_cgroups) $(mounts) $(temps)"
if [ "$before" != "$after" ]; then
    echo "containment: left behind (processes cgroups mounts temp-files): before $before, after $after" >&2
    status=1
fi
[ "$status" = 0 ] && echo "containment: nothing left behind ($after)"
exit $status
