#!/usr/bin/env bash
# detect.sh TREE [BEFORE] — what decoding and scoring cost a full scan, in
# one run on one tree, against the read floor (page cache warm, medians of
# RUNS, default 3):
#   readfloor                        walk + read every byte once
#   BEFORE --no-cache [--no-dedupe]  an older shellscan binary, when given
#                                    (e.g. built from the commit before)
#   --no-cache --no-decode           this tree's shellscan, no decoding
#   --no-cache                       this tree's shellscan, as shipped
#   --no-cache --no-dedupe           every file matched and, where marked,
#                                    decoded (the worst case)
# Each row prints its median, its ratio to the floor, and the files it
# flagged (from the summary).
set -euo pipefail
tree=${1:?usage: bench/detect.sh TREE [BEFORE-BINARY]}
before=${2:-}
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
go build -o "$out/shellscan" ./cmd/shellscan
go build -o "$out/readfloor" ./bench/readfloor
sigs=${SIGS:-../shared/seed-sigs/shelldetect.db}
args=(--no-progress -j "${JOBS:-2}" --no-cache)
[ -f "$sigs" ] && args+=(--sigs "$sigs")
runs=${RUNS:-3}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

rows=(floor)
[ -n "$before" ] && rows+=(before before-nodedupe)
rows+=(nodecode shipped nodedupe)
cmd() {
  case $1 in
    floor) echo "$out/readfloor $tree" ;;
    before) echo "$before ${args[*]} $tree" ;;
    before-nodedupe) echo "$before ${args[*]} --no-dedupe $tree" ;;
    nodecode) echo "$out/shellscan ${args[*]} --no-decode $tree" ;;
    shipped) echo "$out/shellscan ${args[*]} $tree" ;;
    nodedupe) echo "$out/shellscan ${args[*]} --no-dedupe $tree" ;;
  esac
}
echo "## decoding and scoring on $tree — $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
find "$tree" -type f -exec cat {} + > /dev/null 2>&1 || true   # warm the page cache
declare -A times
for _ in $(seq "$runs"); do
  for r in "${rows[@]}"; do
    a=$(now); $(cmd "$r") > "$out/detect-$r.out" 2> "$out/detect-$r.err" || true; b=$(now)
    times[$r]+="$(echo "$b - $a" | bc) "
  done
done
fl=$(printf '%s\n' ${times[floor]} | median)
echo "| row | median s | × floor | files flagged |"
echo "|---|---|---|---|"
for r in "${rows[@]}"; do
  m=$(printf '%s\n' ${times[$r]} | median)
  flagged=$(sed 's/ \[.*//' "$out/detect-$r.out" | sort -u | grep -c . || true)
  [ "$r" = floor ] && flagged=-
  echo "| $r | $m | $(echo "scale=2; $m / $fl" | bc) | $flagged |"
done
