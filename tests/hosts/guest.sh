#!/bin/bash
# Runs inside a judge-host guest (tests/hosts/run.sh), started at boot by
# nsjudge-test.service from the tar on the second disk. Everything it says
# goes to the second serial port, which the host keeps in a file:
#   HOSTTEST: ok|FAIL <what>      checks
#   HOSTTEST: SUB <id>            submissions it made (the host checks their rows)
#   HOSTTEST: READY               (multi) the worker service is active
#   HOSTTEST: RESULT PASS|FAIL    the end (then isa-debug-exit)
# The role, single or multi, is nsjudge.test=ROLE on the kernel command line.
# clocal first: opening a serial port otherwise waits for its carrier.
stty -F /dev/ttyS1 raw -echo clocal
exec >/dev/ttyS1 2>&1
here=$(cd "$(dirname "$0")" && pwd)
role=$(sed -n 's/.*nsjudge\.test=\([a-z]*\).*/\1/p' /proc/cmdline)
server=10.15.0.1
api=http://127.0.0.1:8080
failed=0
say() { echo "HOSTTEST: $*"; }
ok() { say "ok $*"; }
fail() { say "FAIL $*"; failed=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# What a running worker may keep under its cgroup: its supervisor, and with
# warm slots one prepared run per job or session thread -- a run cgroup
# holding that run's init and its program waiting at sync 1b, both still
# the worker's image (no program has run: no execve). leftover_runs prints
# anything else (a finished run's cgroup, a run with other processes).
prepared() {
    local n=0 p
    for p in $(cat "$1/cgroup.procs"); do
        n=$((n + 1))
        [ "$(cat /proc/$p/comm 2>/dev/null)" = nsjudge-worker ] || return 1
    done
    [ "$n" -ge 1 ] && [ "$n" -le 2 ]
}
leftover_runs() {
    find $svc -mindepth 1 -type d | grep -v /supervisor | while read -r d; do
        case ${d#$svc/} in
        run-*/*) echo "$d" ;;
        run-*) prepared "$d" || echo "$d ($(wc -l <"$d/cgroup.procs") processes)" ;;
        *) echo "$d" ;;
        esac
    done
}
finish() {
    if [ "$failed" = 0 ]; then say "RESULT PASS"; "$here/debug-exit" 0; else say "RESULT FAIL"; "$here/debug-exit" 1; fi
    sleep 5; echo o >/proc/sysrq-trigger
}
wait_until() { # wait_until SECONDS CMD...: poll every 0.5 s
    local n=$(($1 * 2)); shift
    while ! "$@"; do n=$((n - 1)); [ "$n" -le 0 ] && return 1; sleep 0.5; done
}
prop() { systemctl show -p "$2" --value "$1"; }

say "booted: $(uname -r), PID 1 $(cat /proc/1/comm), $(stat -fc %T /sys/fs/cgroup), host $(hostname)"
check "systemd is PID 1" [ "$(cat /proc/1/comm)" = systemd ]
check "only cgroup v2 is mounted" [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] 
check "no cgroup v1 hierarchy" [ -z "$(awk '$3 == "cgroup"' /proc/mounts)" ]

# The README's second block, with this test network's addresses (the two
# hosts of the multi part share their own Redis and database).
if [ "$role" = multi ]; then port=6380 db=nsjudge_multi; else port=6379 db=nsjudge; fi
printf 'REDIS_URL=redis://%s:%s\nDATABASE_URL=postgresql://postgres@%s/%s\n' $server $port $server $db >/etc/nsjudge/worker.env
cp /etc/nsjudge/worker.env /etc/nsjudge/api.env
echo ANONYMOUS_SCOPES=submit,read,admin >>/etc/nsjudge/api.env
# Test settings: two jobs at a time, quick takeover of a dead worker's jobs.
printf 'WORKER_COUNT=2\nRECLAIM_IDLE=5s\n' >>/etc/nsjudge/worker.env
systemctl daemon-reload

# A submission through the API: prints its id. Its limits are the API's
# maxima (30 s of CPU, 60 s wall), not the 10 s defaults: python's start
# in an emulated guest on a loaded host took 4.7 s of CPU, and a sleeper
# (2 s asleep) ran into the 10 s wall timer. What is tested here is where
# the run goes, not how fast.
submit() { # submit SOURCE INPUT EXPECTED
    local body
    body=$(printf '{"language":"python","source_code":"%s","time_limit":30,"wall_limit":60,"test_cases":[{"input":"%s","expected_output":"%s","score":1}]}' "$1" "$2" "$3")
    curl -sf -X POST "$api/submissions" -H 'Content-Type: application/json' -d "$body" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p'
    echo
}
status_of() { curl -sf "$api/submissions/$1" | sed -n 's/^{[^{]*"status":"\([a-z_]*\)".*/\1/p'; }
is_final() { case $(status_of "$1") in queued|running|'') return 1 ;; *) return 0 ;; esac; }
all_final() { local i; for i in "$@"; do is_final "$i" || return 1; done; }
count_status() { local s=$1 i n=0; shift; for i in "$@"; do [ "$(status_of "$i")" = "$s" ] && n=$((n + 1)); done; echo $n; }
sleeper='import time\ntime.sleep(2)\nprint(int(input())+1)'
batch() { # batch N: N sleepers, ids on stdout
    local i; for i in $(seq 1 "$1"); do submit "$sleeper" "$i" "$((i + 1))"; done
}
any_running() { local i; for i in "$@"; do [ "$(status_of "$i")" = running ] && return 0; done; return 1; }
restarted() { # restarted OLD_PID: a new main process, active
    [ "$(prop nsjudge-worker MainPID)" != "$1" ] && [ "$(prop nsjudge-worker MainPID)" != 0 ] &&
        [ "$(systemctl is-active nsjudge-worker)" = active ]
}
subs=""
report() { local i; for i in "$@"; do say "SUB $i"; subs="$subs $i"; done; }

if [ "$role" = multi ]; then
    systemctl enable --now nsjudge-worker
    check "nsjudge-worker active" [ "$(systemctl is-active nsjudge-worker)" = active ]
    say READY
    # Every judged submission, as the worker logs it, for the host's count;
    # and the rest of the journal (systemd's, the kernel's), so that a host
    # that stops judging shows why.
    exec journalctl -f -n all -o short-monotonic
fi

# ---- readiness: active only once the worker is ready ----
# With the queue host unreachable the worker waits for Redis: activating.
ip route add blackhole $server/32
systemctl enable --now --no-block nsjudge-worker
# Evidence, not a fixed sleep: on a busy host the start job itself may wait
# for its dependencies for a while. Once the worker says it waits for
# Redis, the unit must still be activating (READY=1 not sent).
if wait_until 300 sh -c "journalctl -u nsjudge-worker -o cat | grep -q 'waiting for Redis'"; then
    ok "worker logs 'waiting for Redis'"
else
    fail "no 'waiting for Redis' in the journal"
fi
st=$(systemctl is-active nsjudge-worker)
check "Type=notify: activating while Redis is unreachable (got $st)" [ "$st" = activating ]
ip route del blackhole $server/32
check "worker becomes active once Redis is reachable" wait_until 120 sh -c '[ "$(systemctl is-active nsjudge-worker)" = active ]'
# READY=1 is sent after the pool started: systemd's "Started" line (the
# start job's end) comes after the worker's "workers started".
j=$(journalctl -u nsjudge-worker -o cat)
ready_line=$(echo "$j" | grep -n -m1 'workers started' | cut -d: -f1)
started_line=$(echo "$j" | grep -n -m1 '^Started nsjudge-worker.service' | cut -d: -f1)
check "systemd's 'Started' (line ${started_line:-none}) follows 'workers started' (line ${ready_line:-none})" \
    [ "${started_line:-0}" -gt "${ready_line:-999999}" ]
check "systemctl enable --now nsjudge-api" systemctl enable --now nsjudge-api
check "nsjudge-api active" [ "$(systemctl is-active nsjudge-api)" = active ]
say "worker: $(prop nsjudge-worker StatusText)"

# ---- the API's hardening, and that it serves ----
apid=$(prop nsjudge-api MainPID)
say "api pid $apid: $(grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$apid/status | tr -s '\t\n' '  ')"
check "api runs as a dynamic user (uid not 0)" [ "$(awk '/^Uid:/ {print $2}' /proc/$apid/status)" != 0 ]
check "api has no capabilities" [ "$(awk '/^CapEff:/ {print $2}' /proc/$apid/status)" = 0000000000000000 ]
check "api has an empty bounding set" [ "$(awk '/^CapBnd:/ {print $2}' /proc/$apid/status)" = 0000000000000000 ]
check "api runs with no_new_privs" [ "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$apid/status)" = 1 ]
check "api has a seccomp filter" [ "$(awk '/^Seccomp:/ {print $2}' /proc/$apid/status)" = 2 ]
check "api's / is read-only (ProtectSystem=strict)" nsenter -t "$apid" -m sh -c '! touch /usr/local/share/nsjudge/x 2>/dev/null'
check "GET /healthz?live 200" curl -sf "$api/healthz?live" -o /dev/null
check "GET /languages lists python" sh -c "curl -sf $api/languages | grep -q '\"python\"'"
check "GET / serves the page" sh -c "curl -sf $api/ | grep -qi '<html'"

# ---- a submission, its live progress (SSE), its results ----
id=$(submit "$sleeper" 41 42); report "$id"
curl -sN --max-time 400 "$api/submissions/$id/events" >/tmp/sse.txt &
sse=$!
check "submission $id passed" wait_until 400 sh -c "[ \"\$(curl -sf $api/submissions/$id | sed -n 's/^{[^{]*\"status\":\"\\([a-z_]*\\)\".*/\\1/p')\" = passed ]"
wait $sse
check "SSE shows running, a result and the final status" sh -c 'grep -q "\"running\"" /tmp/sse.txt && grep -q "^event: result" /tmp/sse.txt && grep -q "\"status\":\"passed\"" /tmp/sse.txt'
# An interactive session over the WebSocket (a client in the Python rootfs).
sid=$(curl -sf -X POST "$api/sessions" -H 'Content-Type: application/json' \
    -d '{"language":"python","source_code":"print(\"echo:\" + input())"}' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
py=/usr/local/share/nsjudge/rootfs/python
cp "$here/ws_client.py" "$py/tmp/ws_client.py" 2>/dev/null || { mount -t tmpfs tmpfs "$py/tmp"; cp "$here/ws_client.py" "$py/tmp/"; }
out=$(timeout 120 chroot "$py" /usr/bin/python3 /tmp/ws_client.py 127.0.0.1 8080 "/sessions/$sid" hello 2>&1)
say "session: $out"
check "WebSocket session echoes through the hardened API" sh -c "echo '$out' | grep -q 'echo:hello' && echo '$out' | grep -q '\"exit\"'"

# ---- Delegate=yes: run cgroups under the worker's, with limits ----
svc=/sys/fs/cgroup$(prop nsjudge-worker ControlGroup)
find /sys/fs/cgroup -type d | sort >/tmp/cg.before
id=$(submit 'import time\ntime.sleep(6)\nprint(1)' "" 1); report "$id"
wait_until 300 sh -c "find $svc -mindepth 1 -type d | grep -qv /supervisor" || fail "no run cgroup appeared under $svc"
find /sys/fs/cgroup -type d | sort >/tmp/cg.during
new=$(comm -13 /tmp/cg.before /tmp/cg.during)
say "cgroups created during a run: $(echo $new)"
check "a run cgroup under the worker's own" sh -c "echo '$new' | grep -q '^$svc/'"
outside=$(echo "$new" | grep -v "^$svc/" | grep . || true)
check "nothing created outside $svc ($outside)" [ -z "$outside" ]
mems=$(for d in $new; do [ -f "$d/memory.max" ] && cat "$d/memory.max"; done | sort -u | tr '\n' ' ')
say "memory.max of the run cgroups: $mems"
check "the run's memory.max is the 256m limit" sh -c "echo '$mems' | grep -q 268435456"
check "the worker itself sits in $svc/supervisor" grep -q "supervisor" "/proc/$(prop nsjudge-worker MainPID)/cgroup"
wait_until 400 is_final "$id"
hog=$(submit 'b = []\nwhile True:\n    b.append(bytearray(1 << 24))' "" x); report "$hog"
wait_until 400 is_final "$hog"
check "a memory hog is memory_limit (got $(status_of "$hog"))" [ "$(status_of "$hog")" = memory_limit ]
left=$(leftover_runs)
check "no finished run's cgroup left ($left)" [ -z "$left" ]

# ---- journald has the worker's lines ----
check "journalctl -u nsjudge-worker shows the judged submissions" sh -c "journalctl -u nsjudge-worker -o cat | grep -q 'submission $id: passed'"
say "journal sample: $(journalctl -u nsjudge-worker -o cat | grep -m1 "submission $id")"

# ---- the watchdog: a stopped worker is restarted, its jobs finished once ----
mkdir -p /run/systemd/system/nsjudge-worker.service.d
printf '[Service]\nWatchdogSec=10s\n' >/run/systemd/system/nsjudge-worker.service.d/watchdog.conf
systemctl daemon-reload
systemctl restart nsjudge-worker
r0=$(prop nsjudge-worker NRestarts)
ids=$(batch 4 | xargs); report $ids
wait_until 300 any_running $ids ||
    fail "no job running before SIGSTOP"
pid=$(prop nsjudge-worker MainPID)
t0=$(date +%s)
kill -STOP "$pid"
say "SIGSTOP to worker $pid"
check "watchdog restarts the stopped worker" wait_until 180 restarted "$pid"
say "restarted after $(($(date +%s) - t0)) s (WatchdogSec=10s), NRestarts $r0 -> $(prop nsjudge-worker NRestarts)"
check "the journal names the watchdog" sh -c "journalctl -u nsjudge-worker | grep -qi 'watchdog timeout'"
journalctl -u nsjudge-worker -o cat | grep -iE 'watchdog|SIGABRT|dumped core' | sed 's/^/  watchdog| /'
check "the stopped worker's jobs all finish" wait_until 400 all_final $ids
check "all 4 passed" [ "$(count_status passed $ids)" = 4 ]
rm -r /run/systemd/system/nsjudge-worker.service.d
systemctl daemon-reload

# ---- systemctl stop drains ----
systemctl restart nsjudge-worker
ids=$(batch 4 | xargs); report $ids
wait_until 300 any_running $ids ||
    fail "no job running before stop"
t0=$(date +%s)
check "systemctl stop returns" systemctl stop nsjudge-worker
done_now=$(count_status passed $ids)
running=$(count_status running $ids)
say "stop took $(($(date +%s) - t0)) s; $done_now passed, $running running after it"
check "stop drained: nothing left running" [ "$running" = 0 ]
check "stop drained: the jobs in progress finished" [ "$done_now" -ge 1 ]
check "worker exited cleanly (Result=$(prop nsjudge-worker Result), status $(prop nsjudge-worker ExecMainStatus))" \
    [ "$(prop nsjudge-worker Result)" = success ] 
journalctl -u nsjudge-worker -o cat | grep -q 'in progress will finish' && ok "journal: drain announced" || fail "no drain line"
check "/run/nsjudge (slot locks) outlives the stopped service" [ -d /run/nsjudge ]
left=$(find $svc -mindepth 1 -type d 2>/dev/null | grep -v /supervisor || true)
check "no run cgroup once the worker stopped ($left)" [ -z "$left" ]
systemctl start nsjudge-worker
check "the rest finish after start" wait_until 400 all_final $ids
check "all 4 passed" [ "$(count_status passed $ids)" = 4 ]

# ---- systemctl kill -s KILL loses nothing ----
ids=$(batch 4 | xargs); report $ids
wait_until 300 any_running $ids ||
    fail "no job running before kill"
pid=$(prop nsjudge-worker MainPID)
systemctl kill -s KILL nsjudge-worker
check "restarted after SIGKILL" wait_until 180 restarted "$pid"
check "the killed worker's jobs all finish" wait_until 400 all_final $ids
check "all 4 passed" [ "$(count_status passed $ids)" = 4 ]
journalctl -u nsjudge-worker -o cat | grep -q 'reclaimed message' && ok "journal: jobs taken over" || fail "no 'reclaimed message' line"
left=$(leftover_runs)
check "no finished run's cgroup left after all this ($left)" [ -z "$left" ]

# Exactly once: every submission of this guest has one "submission ID:
# STATUS" line in the journal, whoever judged it.
all=$(journalctl -u nsjudge-worker -o cat)
twice=0
for i in $subs; do
    n=$(echo "$all" | grep -c "submission $i: [a-z_]*, score")
    [ "$n" = 1 ] || { twice=$((twice + 1)); say "submission $i judged $n times"; }
done
check "each of the $(echo $subs | wc -w) submissions judged exactly once (journal)" [ "$twice" = 0 ]
# The whole journal when something failed, else its end.
if [ "$failed" = 0 ]; then keep=40; else keep=100000; fi
say "worker journal (last $keep lines):"
journalctl -u nsjudge-worker -o short-monotonic --no-pager | tail -n $keep | sed 's/^/  | /'
finish
