#!/usr/bin/env bash
# rss.sh [DIR] — shellscan's peak RSS and wall time on a tree of 1,000,000
# small files: walking it (paths as arguments) and reading the paths from
# standard input (find DIR -type f | shellscan). Target: peak RSS <= 150 MB.
#
# DIR (default ${CORPUS_DIR:-/var/tmp/spamgear-bench}/tree-1m) is generated with
# `gencorpus -small` unless DIR/gencorpus.json shows it was made with the same
# flags, in which case it is reused. Generating takes a few minutes and about
# 3 GB of disk.
#
# Environment: FILES=1000000 USERS=1000 SEED=1 SHELLS=20 JOBS=2
#   SIGS=FILE (default ../shared/seed-sigs/shelldetect.db)
#   SHELLSCAN_ARGS="..." extra shellscan flags; NO_INSTALL=1 (no apt-get install time)
set -u -o pipefail

if [ $# -gt 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$here/out
mkdir -p "$out"
DIR=${1:-${CORPUS_DIR:-/var/tmp/spamgear-bench}/tree-1m}
FILES=${FILES:-1000000}
USERS=${USERS:-1000}
SEED=${SEED:-1}
SHELLS=${SHELLS:-20}
JOBS=${JOBS:-2}
SIGS=${SIGS:-$repo/../shared/seed-sigs/shelldetect.db}

now() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN{printf "%.2f", e - s}'; }

if ! command -v /usr/bin/time >/dev/null && [ -z "${NO_INSTALL:-}" ] && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >"$out/apt-time.log" 2>&1 || true
fi
gnutime=0; /usr/bin/time -f %M true >/dev/null 2>&1 && gnutime=1

(cd "$repo" && go build -o "$out/gencorpus" ./bench/gencorpus) || exit 1

# ---- the tree ---------------------------------------------------------------
flags=(-out "$DIR" -users "$USERS" -files "$FILES" -seed "$SEED" -shells "$SHELLS" -small)
want=$("$out/gencorpus" "${flags[@]}" -print-args) || exit 1
have=$(sed -n 's/^  "args": "\(.*\)",$/\1/p' "$DIR/gencorpus.json" 2>/dev/null)
if [ "$want" = "$have" ]; then
	echo "rss.sh: reusing $DIR ($have)" >&2
else
	echo "rss.sh: generating $DIR ($want)" >&2
	t0=$(now)
	"$out/gencorpus" "${flags[@]}" -force || exit 1
	echo "rss.sh: generated in $(since "$t0")s" >&2
fi
files=$(sed -n 's/^  "files": \([0-9]*\),$/\1/p' "$DIR/gencorpus.json")
bytes=$(sed -n 's/^  "bytes": \([0-9]*\),$/\1/p' "$DIR/gencorpus.json")

# ---- shellscan ----------------------------------------------------------------
if ! (cd "$repo" && go build -o "$out/shellscan" ./cmd/shellscan) 2>"$out/shellscan-build.log"; then
	echo "rss.sh: shellscan does not build, nothing to measure: $(head -n1 "$out/shellscan-build.log")" >&2
	exit 1
fi
args=(--no-progress -j "$JOBS")
[ -n "${SHELLSCAN_ARGS:-}" ] && read -r -a extra <<<"$SHELLSCAN_ARGS" && args+=("${extra[@]}")
[ -f "$SIGS" ] && args+=(--sigs "$SIGS")

rows=()
# measure NAME CMD — CMD is run by bash; shellscan runs under /usr/bin/time
# (the placeholder TIME in CMD), so the RSS is shellscan's own.
measure() {
	local name=$1 cmd=$2 t0 wall rc rss="n/a" verdict="?"
	local timecmd=""
	[ $gnutime = 1 ] && timecmd="/usr/bin/time -f %M -o $(printf '%q' "$out/rss.time")"
	cmd=${cmd//TIME/$timecmd}
	echo "rss.sh: $name: $cmd" >&2
	t0=$(now)
	bash -c "$cmd" >/dev/null 2>"$out/rss.err"
	rc=$?
	wall=$(since "$t0")
	if [ $gnutime = 1 ]; then
		rss=$(awk '{v=$1} END{printf "%.0f", v/1024}' "$out/rss.time")
		if [ "$rss" -le 150 ]; then verdict="yes"; else verdict="NO"; fi
	fi
	local fps
	fps=$(awk -v f="$files" -v w="$wall" 'BEGIN{printf "%.0f", f / w}')
	rows+=("| $name | $wall | $fps | $rss | $verdict | $rc | $(grep -m1 -i 'scanned' "$out/rss.err" | cut -c1-160) |")
}

S=$(printf '%q ' "$out/shellscan" "${args[@]}")
H=$(printf '%q' "$DIR/home")
measure "args, first run" "TIME $S$H"
measure "args, warm" "TIME $S$H"
measure "stdin (find \\| shellscan)" "find $H -type f | TIME $S"

{
	echo "## shellscan on $files small files — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GB RAM", $2/1048576}' /proc/meminfo); $(uname -sr); $(go version)"
	echo "- tree: $DIR/home: $files files, $(awk -v b="$bytes" 'BEGIN{printf "%.2f GB", b/1e9}') ($want)"
	echo "- command: \`$S$H\`"
	echo "- load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| mode | wall s | files/s | peak RSS MB | ≤ 150 MB | exit | shellscan summary |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} | tee "$out/rss-last-run.md"
rm -f "$out/rss.time" "$out/rss.err"
