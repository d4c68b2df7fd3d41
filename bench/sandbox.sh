#!/bin/sh
# make bench-sandbox: the sandbox's own cost, side by side in one run.
#   1. bare fork+exec of a static "true" vs the same through `nsjudge run`
#   2. bare /usr/bin/python3 hello vs the same through `nsjudge run`
#   3. the supervisor's CPU against the program's for a 1-byte-write flood
# abrun alternates the two commands run by run; medians and ratios go to
# bench/results/sandbox.md and .json. Targets: overhead <= 3 ms, python <=
# 1.15x, supervisor <= 10% of the flooding program's CPU.
set -eu
build=${1:-build}
out=bench/results/sandbox.md
runs_true=${BENCH_RUNS_TRUE:-400}
runs_py=${BENCH_RUNS_PY:-150}
mkdir -p "$build/bench"
cc -O2 -o "$build/bench/abrun" bench/abrun.c
cc -O2 -static -nostdlib -o "$build/bench/true" bench/true.c
py=/usr/bin/python3   # not the pyenv shim on PATH (HOST-NOTES)
[ -x "$py" ] || { echo "bench: $py missing (apt-get install python3)" >&2; exit 1; }

# field NAME LINE -> value of NAME=... in an abrun output line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

bench() {
    res=$("$build/bench/abrun" "$1" 20 -- $2 -- $3)
    a=$(echo "$res" | sed -n 's/^A //p'); b=$(echo "$res" | sed -n 's/^B //p')
    am=$(field median_us "$a"); bm=$(field median_us "$b")
    ap=$(field p99_us "$a"); bp=$(field p99_us "$b")
}

bench "$runs_true" "$build/bench/true" "$build/nsjudge run --lang binary $build/bench/true"
t_bare=$am t_ns=$bm t_bare99=$ap t_ns99=$bp
bench "$runs_py" "$py bench/hello.py" "$build/nsjudge run bench/hello.py"
p_bare=$am p_ns=$bm p_bare99=$ap p_ns99=$bp

sup=$("$build/bench/supcost" "$build/payloads/probe" "$PWD/rootfs/python" 2000)
s_prog=$(field program_cpu_ms "$sup"); s_sup=$(field supervisor_cpu_ms "$sup"); s_ratio=$(field ratio "$sup")
s_pct=$(awk "BEGIN { printf \"%.1f\", $s_ratio * 100 }")
ok_s=$(awk "BEGIN { print ($s_ratio <= 0.10) ? \"met\" : \"MISSED\" }")

ms() { awk "BEGIN { printf \"%.2f\", $1 / 1000 }"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
overhead=$(awk "BEGIN { printf \"%.2f\", ($t_ns - $t_bare) / 1000 }")
py_ratio=$(ratio "$p_ns" "$p_bare")
ok_o=$(awk "BEGIN { print ($overhead <= 3.0) ? \"met\" : \"MISSED\" }")
ok_p=$(awk "BEGIN { print ($py_ratio <= 1.15) ? \"met\" : \"MISSED\" }")
backend=$("$build/nsjudge" run --lang binary "$build/bench/true" >/dev/null 2>&1 && \
    { mount | grep -q 'cgroup2 on /sys/fs/cgroup type' && echo v2 || echo v1; } || echo "?")

{
    echo "### Sandbox cost (make bench-sandbox)"
    echo
    echo "$(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs, cgroup $backend; medians of runs alternated with the bare command."
    echo
    echo "| program | bare | nsjudge run | difference | target |"
    echo "|---|---|---|---|---|"
    echo "| static \`true\` ($runs_true runs) | $(ms "$t_bare") ms | $(ms "$t_ns") ms | +$overhead ms sandbox overhead (p99 $(ms "$t_ns99") ms) | ≤ 3 ms: $ok_o |"
    echo "| python3 hello ($runs_py runs) | $(ms "$p_bare") ms | $(ms "$p_ns") ms | ${py_ratio}× (p99 $(ms "$p_ns99") vs $(ms "$p_bare99") ms) | ≤ 1.15×: $ok_p |"
    echo "| supervisor CPU, 1-byte-write flood | program $s_prog ms CPU | supervisor $s_sup ms CPU | ${s_pct}% of the program's | ≤ 10%: $ok_s |"
} >"$out"
cat >"${out%.md}.json" <<JSON
{"date": "$(date -u +%Y-%m-%d)", "cgroup": "$backend", "bare_true_ms": $(ms "$t_bare"), "cold_true_ms": $(ms "$t_ns"),
 "cold_true_p99_ms": $(ms "$t_ns99"), "bare_python_ms": $(ms "$p_bare"), "cold_python_ms": $(ms "$p_ns"),
 "supervisor_flood_program_cpu_ms": $s_prog, "supervisor_flood_cpu_ms": $s_sup, "supervisor_flood_ratio": $s_ratio}
JSON
cat "$out"
