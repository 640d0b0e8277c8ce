#!/usr/bin/env bash
# cache.sh TREE — the verdict cache's targets, in one run on one tree:
# rescan of an unchanged tree with a warm cache vs `find TREE -type f`
# (target <= 2x); first scan with a new cache vs --no-cache (which still
# dedupes identical contents within the run) vs --no-cache --no-dedupe
# (every file matched: the issue's "3x faster thanks to dedupe" compares
# against this) vs the read floor (no scan can beat it); and the cache
# file's bytes per file (target <= 200). Page cache warm (read once first).
set -euo pipefail
tree=${1:?usage: bench/cache.sh TREE}
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
go build -o "$out/shellscan" ./cmd/shellscan
go build -o "$out/readfloor" ./bench/readfloor
sigs=${SIGS:-../shared/seed-sigs/shelldetect.db}
args=(--no-progress -j "${JOBS:-2}")
[ -f "$sigs" ] && args+=(--sigs "$sigs")
db="$out/bench-cache.db"
runs=${RUNS:-3}

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "## verdict cache on $tree — $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
find "$tree" -type f -exec cat {} + > /dev/null 2>&1 || true   # warm the page cache

first=(); nocache=(); nodedupe=(); floor=()
for _ in $(seq "$runs"); do
  rm -f "$db" "$db".*
  t0=$(now); "$out/shellscan" "${args[@]}" --no-cache "$tree" > /dev/null 2>"$out/nocache.err" || true
  t1=$(now); "$out/shellscan" "${args[@]}" --cache "$db" "$tree" > /dev/null 2>"$out/first.err" || true
  t2=$(now); "$out/shellscan" "${args[@]}" --no-cache --no-dedupe "$tree" > /dev/null 2>"$out/nodedupe.err" || true
  t3=$(now); "$out/readfloor" "$tree" > /dev/null 2>&1 || true
  t4=$(now)
  nocache+=("$(elapsed "$t0" "$t1")"); first+=("$(elapsed "$t1" "$t2")")
  nodedupe+=("$(elapsed "$t2" "$t3")"); floor+=("$(elapsed "$t3" "$t4")")
done
m() { printf '%s\n' "$@" | median; }
fs=$(m "${first[@]}"); nc=$(m "${nocache[@]}"); nd=$(m "${nodedupe[@]}"); fl=$(m "${floor[@]}")
ratio() { echo "scale=2; $1 / $2" | bc; }
echo "- first scan (medians of $runs): read floor ${fl} s; --no-cache --no-dedupe ${nd} s; --no-cache ${nc} s; new cache ${fs} s"
echo "- dedupe speed-up on a first scan: --no-dedupe / new cache = $(ratio "$nd" "$fs")x (issue target 3x; ceiling --no-dedupe / floor = $(ratio "$nd" "$fl")x); new cache / --no-cache = $(ratio "$fs" "$nc")x"
echo "- first scan summary: $(tail -1 "$out/first.err")"

finds=(); rescans=()
for _ in $(seq "$runs"); do
  a=$(now); find "$tree" -type f > /dev/null; b=$(now)
  "$out/shellscan" "${args[@]}" --cache "$db" "$tree" > /dev/null 2>"$out/rescan.err" || true; c=$(now)
  finds+=("$(elapsed "$a" "$b")"); rescans+=("$(elapsed "$b" "$c")")
done
f=$(printf '%s\n' "${finds[@]}" | median); r=$(printf '%s\n' "${rescans[@]}" | median)
echo "- find median ${f} s (${finds[*]}); rescan median ${r} s (${rescans[*]}): $(echo "scale=2; $r / $f" | bc)x find (target <= 2x)"
echo "- rescan summary: $(tail -1 "$out/rescan.err")"
echo "- $("$out/shellscan" cache stats --cache "$db" | head -1) (target <= 200 bytes per file)"
