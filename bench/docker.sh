#!/bin/sh
# make bench-docker: nsjudge against the Docker path, side by side in one run.
#   1. containment: the attack corpus (tests/containment) through both back
#      ends: verdict and held/leaked per attack;
#   2. speed: python hello per run, p50/p99, alternated run by run.
# A private dockerd is started here (iptables and bridge off, state under
# BUILD/bench/docker, container cgroups under /nsjudge-docker) and stopped
# by its PID at the end; its image is `docker import` of rootfs/python, so
# both back ends run the very same files. Results: bench/results/docker.md.
set -eu
build=${1:-build}
runs=${BENCH_DOCKER_RUNS:-40}
out=bench/results/docker.md
state=$(pwd)/$build/bench/docker
image=nsjudge-python

scripts/deps.sh docker
. scripts/dockerd.sh
export NSJUDGE_DOCKER_CLI=/usr/bin/docker
docker=/usr/bin/docker

rm -rf "$state"
mkdir -p "$state" "$build/bench"
cc -O2 -o "$build/bench/abrun" bench/abrun.c
cleanup() {
    dockerd_stop
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
dockerd_start "$state" "$state/data" /nsjudge-docker
# One image per rootfs, as `nsjudge run --backend docker` expects (nsjudge-<rootfs>).
for r in rootfs/*/; do
    r=$(basename "$r")
    [ -f "rootfs/$r/.nsjudge-stamp" ] && tar -C "rootfs/$r" -c . | $docker import - "nsjudge-$r" >/dev/null
done
$docker run --rm "$image" /usr/bin/python3 -c 'print(1)' >/dev/null   # warm

# 1. containment
"$build/tests/corpus-runner" --nsjudge "$build/nsjudge" --backend ns --report "$state/ns.tsv" tests/containment \
    >"$state/ns.log" || true
"$build/tests/corpus-runner" --nsjudge "$build/nsjudge" --backend docker --report "$state/docker.tsv" \
    tests/containment >"$state/docker.log" || true

# 2. speed: the same hello.py as in make bench-sandbox
code=$state/code
mkdir -p "$code" && cp bench/hello.py "$code/main.py" && chmod 755 "$code" && chmod 644 "$code/main.py"
docker_rm="$docker run --rm --network none --read-only --memory 256m --memory-swap 256m --cpus 0.5 --pids-limit 32 --tmpfs /tmp:rw,noexec,nosuid,size=64m -v $code:/code:ro -i $image /usr/bin/python3 /code/main.py"
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
res=$("$build/bench/abrun" "$runs" 3 -- $docker_rm -- "$build/nsjudge" run bench/hello.py)
d=$(echo "$res" | sed -n 's/^A //p'); n=$(echo "$res" | sed -n 's/^B //p')
res2=$("$build/bench/abrun" "$runs" 3 -- "$build/nsjudge" run --backend docker bench/hello.py -- "$build/nsjudge" run bench/hello.py)
di=$(echo "$res2" | sed -n 's/^A //p')
ms() { awk "BEGIN { printf \"%.1f\", $1 / 1000 }"; }
ratio=$(awk "BEGIN { printf \"%.1f\", $(field median_us "$d") / $(field median_us "$n") }")
ok=$(awk "BEGIN { print ($ratio >= 25) ? \"met\" : \"MISSED\" }")

nsheld=$(awk -F'\t' '$5 == "held"' "$state/ns.tsv" | wc -l)
dheld=$(awk -F'\t' '$5 == "held"' "$state/docker.tsv" | wc -l)
total=$(wc -l <"$state/ns.tsv")
{
    echo "### nsjudge vs the Docker path (make bench-docker)"
    echo
    echo "$(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs, docker $($docker version -f '{{.Server.Version}}'), image = rootfs/python."
    echo
    echo "**Containment:** nsjudge held **$nsheld of $total** attacks, the Docker path **$dheld of $total**."
    echo
    echo "| attack | family | nsjudge | held? | docker | held? |"
    echo "|---|---|---|---|---|---|"
    LC_ALL=C join -t "$(printf '\t')" "$state/ns.tsv" "$state/docker.tsv" |
        awk -F'\t' '{ gsub(/\|/, "\\|", $3); printf "| %s: %s | %s | %s | %s | %s | %s |\n", $1, $3, $2, $4, $5, $9, $10 }'
    echo
    echo "**Speed** (python hello, $runs runs each, alternated run by run):"
    echo
    echo "| path | p50 | p99 |"
    echo "|---|---|---|"
    echo "| \`nsjudge run\` | $(ms "$(field median_us "$n")") ms | $(ms "$(field p99_us "$n")") ms |"
    echo "| \`docker run --rm\` (the judges' flags; exit code only) | $(ms "$(field median_us "$d")") ms | $(ms "$(field p99_us "$d")") ms |"
    echo "| \`nsjudge run --backend docker\` (+ inspect for verdicts, rm) | $(ms "$(field median_us "$di")") ms | $(ms "$(field p99_us "$di")") ms |"
    echo
    echo "nsjudge is **${ratio}×** faster per run than \`docker run --rm\` (p50 ratio; target ≥ 25×: $ok)."
} >"$out"
cat "$out"
