#!/bin/bash
# make hosts: nsjudge's systemd units for real on judge-host guests (Debian 12
# under qemu/TCG, systemd as PID 1, only cgroup v2), then two judge hosts
# judging one queue. See README, "Judge hosts".
#
#   tests/hosts/run.sh BUILD_DIR
#
# Network: the guests' only link is a bridge inside a network namespace made
# here (nsjudge-hosts-PID); qemu, redis-server, postgres and the test's own
# API run inside that namespace, so no packet of the test leaves it.
# 1. one guest (judge1, 10.15.0.11) runs tests/hosts/guest.sh: the units'
#    readiness, hardening, delegation, watchdog, stop, kill, journal;
# 2. two guests (judge-a, judge-b) judge one batch of 300 submissions posted
#    to an API in the namespace; judge-a is powered off hard (qemu SIGKILL)
#    mid-batch; judge-b must finish every submission exactly once.
# Exit 0 on pass; skip (exit 0, with the reason) when it cannot run, fail
# instead under NSJUDGE_TESTS_MUST_RUN=1.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
build=${1:?usage: tests/hosts/run.sh BUILD_DIR}
out=$PWD/$build/hosts
batch=${HOSTS_BATCH:-300}
t_start=$(date +%s)
say() { echo "hosts: $*"; }
skip() {
    if [ "${NSJUDGE_TESTS_MUST_RUN:-0}" = 1 ]; then say "FAIL (cannot run): $*"; exit 1; fi
    say "SKIP: $*"; exit 0
}

if [ "${1:-}" != --in-netns ] && [ "${2:-}" != --in-netns ]; then
    [ "$(id -u)" = 0 ] || skip "needs root (debootstrap, a network namespace, tap devices)"
    for p in qemu-system-x86 debootstrap e2fsprogs redis-server postgresql curl; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
            skip "package $p missing (scripts/deps.sh all)"
    done
    for f in nsjudge nsjudge-worker nsjudge-api; do [ -x "$build/$f" ] || skip "$build/$f not built"; done
    rm -rf "$out"; mkdir -p "$out"
    t0=$(date +%s)
    image=$(nice -n 10 tests/hosts/image.sh "$build") || skip "the judge-host image could not be built"
    say "image $image ready in $(($(date +%s) - t0)) s (built in $(cat "$image/seconds") s when made; disk $(du -h --apparent-size "$image/disk.img" | cut -f1), $(du -h "$image/disk.img" | cut -f1) used)"
    gcc -O2 -static -Wall -o "$out/debug-exit" tests/v2/debug-exit.c || skip "cannot build debug-exit"
    cp tests/hosts/guest.sh tests/hosts/ws_client.py "$out/"
    tar -C "$out" -cf "$out/test.tar" guest.sh ws_client.py debug-exit
    # Namespaces left by an earlier run that was killed (its PID is gone).
    for old in $(ip netns list | sed -n 's/^\(nsjudge-hosts-[0-9]*\).*/\1/p'); do
        kill -0 "${old#nsjudge-hosts-}" 2>/dev/null || ip netns del "$old"
    done
    ns=nsjudge-hosts-$$
    ip netns add "$ns" || skip "cannot create a network namespace"
    trap 'ip netns del "$ns" 2>/dev/null' EXIT
    ip -n "$ns" link set lo up
    ip -n "$ns" link add br0 type bridge
    ip -n "$ns" addr add 10.15.0.1/24 dev br0
    ip -n "$ns" link set br0 up
    for i in 11 12 13; do
        ip -n "$ns" tuntap add dev "tap$i" mode tap
        ip -n "$ns" link set "tap$i" master br0 up
    done
    ip netns exec "$ns" "$0" "$build" --in-netns "$image"
    rc=$?
    ip netns del "$ns"
    say "make hosts took $(($(date +%s) - t_start)) s"
    exit $rc
fi
image=$3
. scripts/servers.sh
kernel="$image/vmlinuz" initrd="$image/initrd.img"
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    [ -n "${API_PID:-}" ] && stop_pid "$API_PID" TERM 10
    [ -n "${REDIS_PID:-}" ] && stop_pid "$REDIS_PID" TERM 10
    [ -n "${REDIS1_PID:-}" ] && stop_pid "$REDIS1_PID" TERM 10
    [ -n "${PG_PID:-}" ] && stop_pid "$PG_PID" INT 20
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Servers on the bridge's address (and loopback), in this namespace only.
# One Redis per part (6379: judge1's, 6380: the two hosts' queue) and one
# database each in one Postgres, so that both parts can overlap in time.
redis_start "$out/redis" 6379 --bind 10.15.0.1 127.0.0.1 --protected-mode no || exit 1
REDIS1_PID=$REDIS_PID
redis_start "$out/redis2" 6380 --bind 10.15.0.1 127.0.0.1 --protected-mode no || exit 1
mkdir -p "$out/pg/data" "$out/pg/sock"; chown -R postgres:postgres "$out/pg"; chmod 755 "$out/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$out/pg/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null || exit 1
echo 'host all all 10.15.0.0/24 trust' >>"$out/pg/data/pg_hba.conf"
pg_start "$out/pg" 5432 -c listen_addresses=127.0.0.1,10.15.0.1 || exit 1
psql_() { psql -h 127.0.0.1 -U postgres -d nsjudge -tAc "$1"; }
psql2() { psql -h 127.0.0.1 -U postgres -d nsjudge_multi -tAc "$1"; }

# boot NAME MACSUFFIX ROLE: a guest from the cached image (-snapshot: its
# writes go to a temporary file); console and test channel in files.
boot() {
    local name=$1 mac=$2 role=$3
    : >"$out/$name.console"; : >"$out/$name.events"
    qemu-system-x86_64 -accel tcg -m 1536 -smp 2 -nodefaults -display none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -serial "file:$out/$name.console" -serial "file:$out/$name.events" \
        -drive "file=$image/disk.img,format=raw,if=virtio,snapshot=on" \
        -drive "file=$out/test.tar,format=raw,if=virtio,readonly=on" \
        -netdev "tap,id=n0,ifname=tap$mac,script=no,downscript=no" \
        -device "virtio-net-pci,netdev=n0,mac=52:54:00:15:00:$mac" \
        -kernel "$kernel" -initrd "$initrd" \
        -append "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=1 panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 tsc=reliable systemd.hostname=$name nsjudge.test=$role" \
        </dev/null >"$out/$name.qemu" 2>&1 &
    BOOT_PID=$!
    pids="$pids $BOOT_PID"
}
# qemu_wait PID SECONDS: wait for a guest to end on its own, else kill it.
qemu_wait() {
    local n=$(($2 * 2))
    while kill -0 "$1" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.5; n=$((n - 1)); done
    kill -0 "$1" 2>/dev/null && { say "guest $1 still running after $2 s: killed"; kill -9 "$1"; }
    wait "$1" 2>/dev/null
}
events() { tr -d '\r' <"$out/$1.events"; }
failed=0
fail() { say "FAIL: $*"; failed=1; }

# ---- 1. one judge host: the units under systemd ----
psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE nsjudge' -c 'CREATE DATABASE nsjudge_multi' >/dev/null
# The test's API for the two-host part (it applies the migrations).
LISTEN=127.0.0.1:18080 REDIS_URL=redis://127.0.0.1:6380 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/nsjudge_multi \
    ANONYMOUS_SCOPES=submit,read,admin "$build/nsjudge-api" >"$out/api.log" 2>&1 &
API_PID=$!
wait_for "curl -sf http://127.0.0.1:18080/healthz?live" 300 || { fail "the test's API did not start"; exit 1; }
t0=$(date +%s)
boot judge1 11 single; pid_1=$BOOT_PID
# The two hosts of part 2 boot while judge1 runs its checks (they only
# wait for work on their own queue); both parts are CPU-bound under TCG,
# but judge1's checks wait a lot.
sleep 20
t2=$(date +%s)
boot judge-a 12 multi; pid_a=$BOOT_PID
boot judge-b 13 multi; pid_b=$BOOT_PID
qemu_wait "$pid_1" 1500; rc=$?
events judge1 | sed 's/^/  judge1| /'
say "judge1 ran $(($(date +%s) - t0)) s (boot to power-off), qemu exit $rc"
if [ "$rc" != 1 ] || ! events judge1 | grep -q '^HOSTTEST: RESULT PASS'; then
    grep -q 'HOSTTEST: booted' "$out/judge1.events" || {
        tail -n 40 "$out/judge1.console" | tr -d '\r' | sed 's/^/  console| /'
        skip "the guest did not boot (qemu exit $rc)"; }
    fail "single-host checks (qemu exit $rc)"
fi
# Every submission it made: final, one row per test, none twice.
ids=$(events judge1 | sed -n 's/^HOSTTEST: SUB \([0-9a-f-]*\)$/\1/p' | sort -u)
list=$(echo "$ids" | sed "s/.*/'&'/" | paste -sd,)
if [ -n "$list" ]; then
    unfinished=$(psql_ "SELECT count(*) FROM submissions WHERE id IN ($list) AND status IN ('queued','running')")
    dup=$(psql_ "SELECT count(*) FROM (SELECT 1 FROM submission_results WHERE submission_id IN ($list) GROUP BY submission_id, test_case_id HAVING count(*) > 1) d")
    missing=$(psql_ "SELECT count(*) FROM submissions s WHERE id IN ($list) AND (SELECT count(*) FROM submission_results r WHERE r.submission_id = s.id) <> (SELECT count(*) FROM test_cases t WHERE t.submission_id = s.id)")
    say "judge1's $(echo "$ids" | wc -l) submissions in Postgres: $unfinished unfinished, $dup duplicated results, $missing with a result count unlike their tests"
    [ "$unfinished$dup$missing" = 000 ] || fail "judge1's submissions are not each finished exactly once"
else
    fail "judge1 reported no submissions"
fi

# ---- 2. two judge hosts, one queue, one powered off mid-batch ----
n=0
until grep -q 'HOSTTEST: READY' "$out/judge-a.events" && grep -q 'HOSTTEST: READY' "$out/judge-b.events"; do
    n=$((n + 1))
    if [ $n -gt 600 ] || ! kill -0 $pid_a 2>/dev/null || ! kill -0 $pid_b 2>/dev/null; then
        events judge-a | sed 's/^/  judge-a| /'; events judge-b | sed 's/^/  judge-b| /'
        skip "the two judge hosts did not come up"
    fi
    sleep 0.5
done
say "judge-a and judge-b ready $(($(date +%s) - t2)) s after their boot began"
t0=$(date +%s)
# The API's maximum limits, as guest.sh's submit(): slack for emulated guests on a loaded host.
post() {
    curl -sf -X POST http://127.0.0.1:18080/submissions -H 'Content-Type: application/json' \
        -d "{\"language\":\"python\",\"source_code\":\"print(int(input())*2)\",\"time_limit\":30,\"wall_limit\":60,\"test_cases\":[{\"input\":\"$1\",\"expected_output\":\"$((2 * $1))\",\"score\":1}]}" \
        -o /dev/null || echo "POST $1 failed"
}
export -f post
posted_fail=$(seq 1 "$batch" | xargs -P 4 -I{} bash -c 'post {}')
[ -z "$posted_fail" ] || fail "$posted_fail"
say "posted $batch submissions in $(($(date +%s) - t0)) s"
judged() { events "$1" | grep -cE 'submission [0-9a-f-]{36}: [a-z_]+, score'; }
finished() { psql2 "SELECT count(*) FROM submissions WHERE status NOT IN ('queued','running')"; }
# Power judge-a off half-way through the batch (once it has judged some).
killed_at=""
n=0
while :; do
    a=$(judged judge-a) f=$(finished)
    if [ -z "$killed_at" ] && [ "$a" -gt 0 ] && [ "$f" -ge $((batch / 2)) ]; then
        kill -9 $pid_a; wait $pid_a 2>/dev/null
        killed_at="judge-a had judged $a, $f of $batch finished"
        say "powered judge-a off hard (qemu SIGKILL): $killed_at"
    fi
    [ "$f" -ge "$batch" ] && break
    n=$((n + 1))
    if [ $n -gt 1800 ]; then fail "after 900 s only $f of $batch are finished"; break; fi
    kill -0 $pid_b 2>/dev/null || { fail "judge-b stopped"; break; }
    sleep 0.5
done
[ -n "$killed_at" ] || fail "judge-a was never powered off (it judged nothing?)"
say "batch finished $(($(date +%s) - t0)) s after posting"
a=$(judged judge-a) b=$(judged judge-b)
ids_of() { events "$1" | sed -n 's/.*submission \([0-9a-f-]\{36\}\): [a-z_]*, score.*/\1/p' | sort; }
both=$(comm -12 <(ids_of judge-a | sort -u) <(ids_of judge-b | sort -u) | wc -l)
seen=$(sort -u <(ids_of judge-a) <(ids_of judge-b) | wc -l)
twice=$( (ids_of judge-a; ids_of judge-b) | sort | uniq -d | wc -l)
reclaimed=$(events judge-b | grep -c 'reclaimed message')
total=$(psql2 "SELECT count(*) FROM submissions")
passed=$(psql2 "SELECT count(*) FROM submissions WHERE status = 'passed'")
rows=$(psql2 "SELECT count(*) FROM submission_results")
dup=$(psql2 "SELECT count(*) FROM (SELECT 1 FROM submission_results GROUP BY submission_id, test_case_id HAVING count(*) > 1) d")
stuck=$(psql2 "SELECT count(*) FROM submissions WHERE status IN ('queued','running')")
pending=$(redis-cli -p 6380 xpending codesce:submissions nsjudge-workers 2>/dev/null | head -n 1)
say "per host: judge-a judged $a (powered off), judge-b judged $b, of which $reclaimed taken over from judge-a"
say "judged by both hosts: $both; judged twice by one: $twice; $((batch - seen)) finished by judge-a after its console's last line"
# What the README's sizing rests on: the load of one submission here.
cmds=$(redis-cli -p 6380 info commandstats | sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\).*/\2 \1/p' | sort -rn)
say "Redis commands per submission: $(echo "$cmds" | awk -v n="$batch" '{t += $1} END {printf "%.1f", t / n}') (top: $(echo "$cmds" | head -n 6 | awk -v n="$batch" '{printf "%s %.1f, ", $2, $1 / n}'))"
say "Redis memory: $(redis-cli -p 6380 info memory | sed -n 's/^used_memory_human:\(.*\)\r*$/\1/p' | tr -d '\r') for $(redis-cli -p 6380 dbsize | tr -d '\r') keys; one events stream: $(redis-cli -p 6380 memory usage "$(redis-cli -p 6380 --scan --pattern 'codesce:events:*' | head -n 1)" | tr -d '\r') bytes"
say "Postgres commits per submission: $(psql2 "SELECT round(xact_commit::numeric / $batch, 1) FROM pg_stat_database WHERE datname = 'nsjudge_multi'"); connections of judge-b: $(psql2 "SELECT count(*) FROM pg_stat_activity WHERE client_addr = '10.15.0.13'")"
say "Postgres: $total submissions, $passed passed, $rows result rows, $dup duplicated, $stuck queued or running; Redis pending: ${pending:-?}"
[ "$total" = "$batch" ] || fail "$total submissions stored, not $batch"
[ "$passed" = "$batch" ] || fail "$passed of $batch passed"
[ "$rows" = "$batch" ] || fail "$rows result rows for $batch one-test submissions"
[ "$dup" = 0 ] || fail "$dup duplicated results"
[ "$both" = 0 ] && [ "$twice" = 0 ] || fail "a submission was judged to the end twice"
[ "$stuck" = 0 ] || fail "$stuck submissions stuck"
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "both hosts must judge part of the batch"
kill -9 $pid_b 2>/dev/null; wait $pid_b 2>/dev/null
if [ $failed = 0 ]; then
    say "PASS"
else
    # A clean clone's CI keeps only what is printed: the guests' last words.
    for g in judge-a judge-b; do
        events $g | tail -n 40 | sed "s/^/  $g events| /"
        tr -d '\r' <"$out/$g.console" | tail -n 20 | sed "s/^/  $g console| /"
    done
    say "FAIL (logs in $out)"
fi
exit $failed
