#!/usr/bin/env bash
# clamd.sh TREE — shellscan --clamd against clamdscan --fdpass -m: the same
# clamd, the same signature database, the same tree, in one run (page cache
# warm). Target (issue 5): shellscan with clamd <= 1.2x clamdscan while also
# running our own engines, one read feeding both.
#
# The database is shellscan's own long literals (>= 16 bytes: Shell-Detector's
# decoded keys and the like) as ClamAV hex signatures, so clamd does real
# work on every file and both tools look for the same things. No freshclam,
# no network: clamd runs in the foreground on a socket in bench/out/clamd.
#
# Environment: RUNS=3, JOBS=2 (shellscan -j), CLAMD_THREADS=4 (clamd
# MaxThreads; shellscan --clamd-workers follows it),
# SIGS=../shared/seed-sigs/shelldetect.db.
set -euo pipefail
tree=${1:?usage: bench/clamd.sh TREE}
cd "$(dirname "$0")/.."
out=$PWD/bench/out/clamd
rm -rf "$out"; mkdir -p "$out/db"
go build -o bench/out/shellscan ./cmd/shellscan
ss=bench/out/shellscan
sigs=${SIGS:-../shared/seed-sigs/shelldetect.db}
runs=${RUNS:-3}
threads=${CLAMD_THREADS:-4}
clamd=$(command -v clamd || echo /usr/sbin/clamd)
command -v clamdscan >/dev/null || { echo "clamd.sh: clamdscan not installed (apt-get install clamav-daemon clamdscan)" >&2; exit 2; }

# Database: one .ndb line per long literal.
n=0
"$ss" rules literals --sigs "$sigs" | while IFS= read -r lit; do
  [ ${#lit} -ge 16 ] || continue
  n=$((n + 1))
  printf 'Spamgear.Bench.%d:0:*:%s\n' "$n" "$(printf '%s' "$lit" | od -An -tx1 -v | tr -d ' \n')"
done > "$out/db/bench.ndb"
cat > "$out/clamd.conf" <<CONF
LocalSocket $out/clamd.sock
DatabaseDirectory $out/db
TemporaryDirectory $out
Foreground yes
MaxThreads $threads
StreamMaxLength 100M
CONF
"$clamd" --config-file="$out/clamd.conf" > "$out/clamd.log" 2>&1 &
clamd_pid=$!
trap 'kill $clamd_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  "$ss" clamd-check --clamd "$out/clamd.sock" --clamd-conf "$out/clamd.conf" > "$out/check.txt" 2>/dev/null && break
  sleep 0.2
done

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "scale=2; $1 / $2" | bc; }
time_it() { local a b; a=$(now); "$@" > /dev/null 2>>"$out/stderr" || true; b=$(now); echo "$b - $a" | bc; }

find "$tree" -type f -exec cat {} + > /dev/null 2>&1 || true   # warm the page cache
common=(--no-cache --no-progress -j "${JOBS:-2}" --sigs "$sigs" --clamd-conf "$out/clamd.conf")
cs=(); full=(); nodd=(); flagged=(); none=()
for _ in $(seq "$runs"); do
  cs+=("$(time_it clamdscan --config-file="$out/clamd.conf" --fdpass -m --no-summary "$tree")")
  full+=("$(time_it "$ss" "${common[@]}" --clamd="$out/clamd.sock" --clamd-workers "$threads" "$tree")")
  nodd+=("$(time_it "$ss" "${common[@]}" --clamd="$out/clamd.sock" --clamd-workers "$threads" --no-dedupe "$tree")")
  flagged+=("$(time_it "$ss" "${common[@]}" --clamd="$out/clamd.sock" --clamd-workers "$threads" --clamd-only-flagged "$tree")")
  none+=("$(time_it "$ss" "${common[@]}" "$tree")")
done
m() { printf '%s\n' "$@" | median; }
c=$(m "${cs[@]}"); f=$(m "${full[@]}"); nd=$(m "${nodd[@]}"); o=$(m "${flagged[@]}"); s=$(m "${none[@]}")
echo "## clamd on $tree — $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(head -2 "$out/check.txt" | tail -1); $(grep -c . "$out/db/bench.ndb") signatures; clamd MaxThreads $threads; medians of $runs"
echo "- clamdscan --fdpass -m: $c s (${cs[*]})"
echo "- shellscan --clamd (all engines; each distinct content to clamd once): $f s (${full[*]}) = $(ratio "$f" "$c")x clamdscan (target <= 1.2x)"
echo "- shellscan --clamd --no-dedupe (every file streamed, identical ones too): $nd s (${nodd[*]}) = $(ratio "$nd" "$c")x clamdscan"
echo "- shellscan --clamd --clamd-only-flagged: $o s (${flagged[*]}) = $(ratio "$o" "$c")x clamdscan"
echo "- shellscan without clamd: $s s (${none[*]})"
"$ss" "${common[@]}" --clamd="$out/clamd.sock" --clamd-workers "$threads" "$tree" 2>&1 >/dev/null | tail -1 | sed 's/^/- last summary: /'
