#!/usr/bin/env bash
# run.sh TREE — time shellscan against the read floor and other tools on the
# same tree, in one run, with a warm page cache. Each command runs once to
# warm up, then RUNS times (default 3); the table reports the median wall
# time, its ratio to the read floor's median, throughput and peak RSS.
#
#   bench/run.sh /var/tmp/spamgear-bench/tree-real/home
#
# Rows: readfloor; find | wc -l; shellscan (built from this repo); rg -F -f
# with shellscan's prefilter literals (case-sensitive, and -i; only the
# literals that are valid UTF-8, as rg refuses the others); yara with all the
# same literals; clamscan when installed. A row whose tool is missing or does
# not build is skipped and says why.
#
# Environment:
#   RUNS=3            timed runs per command (after one warm-up run)
#   JOBS=2            shellscan -j and yara -p
#   SIGS=FILE         signature file for shellscan --sigs (default ../shared/seed-sigs/shelldetect.db)
#   NO_INSTALL=1      never apt-get install missing tools (ripgrep, yara, time)
#   USE_HYPERFINE=1   time with hyperfine (when installed) instead of the built-in loop
#   LITERAL_CASE=auto nocase rule for yara strings: auto (a literal with no
#                     upper-case letter is nocase), nocase (all), case (none)
#   SHELLSCAN_PKG=./cmd/shellscan  package built as shellscan
#   SHELLSCAN_ARGS="..."  extra shellscan flags (e.g. to disable a result cache)
#   SKIP="yara clamscan"  row names to skip (readfloor find shellscan rg rg-i yara clamscan)
#
# Network: only for the optional apt-get installs. Safe to re-run: everything
# it makes goes to bench/out/.
set -u -o pipefail

if [ $# -ne 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
fi
[ -d "$1" ] || { echo "run.sh: $1: not a directory" >&2; exit 2; }
TREE=$(cd "$1" && pwd)

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$here/out
mkdir -p "$out"
RUNS=${RUNS:-3}
JOBS=${JOBS:-2}
SIGS=${SIGS:-$repo/../shared/seed-sigs/shelldetect.db}
LITERAL_CASE=${LITERAL_CASE:-auto}
SKIP=" ${SKIP:-} "
notes=()

note() { notes+=("$*"); echo "run.sh: $*" >&2; }
skipped() { [[ $SKIP == *" $1 "* ]]; }

now() {
	if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi
}

# ---- optional tools -------------------------------------------------------
apt_install() { # apt_install PACKAGE COMMAND
	command -v "$2" >/dev/null && return 0
	[ -n "${NO_INSTALL:-}" ] && return 1
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
	echo "run.sh: installing $1 with apt-get" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >"$out/apt-$1.log" 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >"$out/apt-$1.log" 2>&1; }
	command -v "$2" >/dev/null
}
apt_install time /usr/bin/time || true
have_rg=0; apt_install ripgrep rg && have_rg=1
have_yara=0; apt_install yara yara && have_yara=1
gnutime=0; /usr/bin/time -f %M true >/dev/null 2>&1 && gnutime=1
hyperfine=0; [ -n "${USE_HYPERFINE:-}" ] && command -v hyperfine >/dev/null && hyperfine=1

# ---- machine ----------------------------------------------------------------
{
	echo "## spamgear benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/{printf "%.1f GB RAM", $2/1048576}' /proc/meminfo 2>/dev/null)"
	echo "- kernel: $(uname -sr); $(go version 2>/dev/null || echo 'go: not found')"
	echo "- tree: $TREE ($(df -PT "$TREE" | awk 'NR==2{print $2}'))"
	echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	ver() { local v; v=$("$@" 2>/dev/null | awk 'NR==1'); echo "${v:-$1: none}"; }
	echo "- tools: $(ver rg --version); yara $(ver yara --version); $(ver clamscan --version)"
} | tee "$out/header.md"

# ---- build ------------------------------------------------------------------
if ! (cd "$repo" && go build -o "$out/readfloor" ./bench/readfloor); then
	echo "run.sh: cannot build bench/readfloor" >&2
	exit 1
fi
have_shellscan=0
if (cd "$repo" && go build -o "$out/shellscan" "${SHELLSCAN_PKG:-./cmd/shellscan}") 2>"$out/shellscan-build.log"; then
	have_shellscan=1
else
	note "shellscan row skipped: go build ${SHELLSCAN_PKG:-./cmd/shellscan} failed ($(head -n1 "$out/shellscan-build.log"))"
fi
sigs_args=()
if [ -f "$SIGS" ]; then
	sigs_args=(--sigs "$SIGS")
else
	note "no signature file $SIGS: shellscan runs with its default rules only"
fi

# ---- literals, yara rules ---------------------------------------------------
have_lits=0
if [ $have_shellscan = 1 ]; then
	if "$out/shellscan" rules literals "${sigs_args[@]}" >"$out/literals.txt" 2>"$out/literals.err" && [ -s "$out/literals.txt" ]; then
		have_lits=1
	else
		note "rg and yara rows skipped: 'shellscan rules literals' failed ($(head -n1 "$out/literals.err"))"
	fi
else
	note "rg and yara rows skipped: they use shellscan's literals"
fi
if [ $have_lits = 1 ] && [ $have_yara = 1 ]; then
	# One rule, one text string per literal; bytes outside printable ASCII,
	# quotes and backslashes as \xNN; nocase per LITERAL_CASE.
	LC_ALL=C awk -v mode="$LITERAL_CASE" '
	BEGIN {
		for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
		print "rule shellscan_literals {\n  strings:"
	}
	length($0) > 0 {
		s = ""
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1); o = ord[c]
			if (o >= 32 && o < 127 && c != "\"" && c != "\\") s = s c
			else s = s sprintf("\\x%02x", o)
		}
		nc = (mode == "nocase") || (mode == "auto" && $0 !~ /[A-Z]/ && $0 ~ /[a-z]/)
		printf "    $s%d = \"%s\"%s\n", n++, s, (nc ? " nocase" : "")
	}
	END { print "  condition:\n    any of them\n}" }' "$out/literals.txt" >"$out/literals.yar"
	if ! yara -w "$out/literals.yar" /dev/null >/dev/null 2>"$out/yara-compile.log"; then
		note "yara row skipped: generated rules do not compile ($(head -n1 "$out/yara-compile.log"))"
		have_yara=0
	fi
fi
if [ $have_lits = 1 ]; then
	# rg refuses patterns that are not valid UTF-8 (some shelldetect.db
	# fingerprints are binary): it gets the valid ones only.
	LC_ALL=C.UTF-8 grep -ax '.*' "$out/literals.txt" >"$out/literals-utf8.txt"
	nlits=$(wc -l <"$out/literals.txt")
	nutf8=$(wc -l <"$out/literals-utf8.txt")
	nnocase=$(LC_ALL=C grep -c -v '[A-Z]' "$out/literals.txt" || true)
	echo "- literals: $nlits from \`shellscan rules literals\` ($nnocase without upper-case letters; rg gets the $nutf8 that are valid UTF-8)" | tee -a "$out/header.md"
fi

# ---- timing -----------------------------------------------------------------
# run_once CMD: runs CMD with bash, sets T (seconds), RSS (KB or empty), RC.
run_once() {
	local s e
	s=$(now)
	if [ $gnutime = 1 ]; then
		/usr/bin/time -f '%M' -o "$out/time.out" bash -c "$1" >/dev/null 2>"$out/cmd.err"
		RC=$?
		e=$(now)
		RSS=$(tail -n1 "$out/time.out")
	else
		bash -c "$1" >/dev/null 2>"$out/cmd.err"
		RC=$?
		e=$(now)
		RSS=
	fi
	T=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.3f", e - s}')
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

rows=()
floor=
bytes=
files=
# measure NAME OKCODES CMD: warm-up, RUNS timed runs, one table row.
measure() {
	local name=$1 ok=$2 cmd=$3 times="" rss=0 rc_note="" med i
	echo "run.sh: $name: $cmd" >&2
	run_once "$cmd" # warm-up
	if [[ " $ok " != *" $RC "* ]]; then
		rc_note="exit $RC: $(head -c 200 "$out/cmd.err" | head -n1)"
	fi
	if [ "$name" = readfloor ]; then
		bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$out/readfloor.txt" 2>/dev/null)
		files=$(sed -n 's/.*files=\([0-9]*\).*/\1/p' "$out/readfloor.txt" 2>/dev/null)
	fi
	if [ $hyperfine = 1 ]; then
		rm -f "$out/hf.json"
		hyperfine -i --shell bash --style none --runs "$RUNS" --export-json "$out/hf.json" "$cmd" >/dev/null 2>"$out/hf.err" ||
			note "$name: hyperfine failed: $(head -n1 "$out/hf.err")"
		times=$(tr -d ' \n' <"$out/hf.json" 2>/dev/null | grep -o '"times":\[[^]]*\]' | sed 's/.*\[//; s/\]//; s/,/ /g' |
			awk '{for (i = 1; i <= NF; i++) printf " %.3f", $i}')
		rss=$((RSS + 0))
	else
		for ((i = 0; i < RUNS; i++)); do
			run_once "$cmd"
			times="$times $T"
			[ -n "$RSS" ] && [ "$RSS" -gt "$rss" ] && rss=$RSS
		done
	fi
	cp "$out/cmd.err" "$out/$name.stderr" 2>/dev/null
	med=$(echo "$times" | median)
	if [ -z "$med" ]; then
		rows+=("| $name | \`${cmd//|/\\|}\` | — | — | — | — | — | no timings ${rc_note} |")
		return
	fi
	[ "$name" = readfloor ] && floor=$med
	local ratio="—" mbs="—" rssmb="—"
	[ -n "$floor" ] && ratio=$(awk -v m="$med" -v f="$floor" 'BEGIN{printf "%.2f×", m / f}')
	[ -n "$bytes" ] && mbs=$(awk -v m="$med" -v b="$bytes" 'BEGIN{printf "%.0f", b / 1e6 / m}')
	[ "$rss" -gt 0 ] && rssmb=$(awk -v r="$rss" 'BEGIN{printf "%.0f", r / 1024}')
	local tl=${times# }
	rows+=("| $name | \`${cmd//|/\\|}\` | $med | ${tl// /, } | $ratio | $mbs | $rssmb | $rc_note |")
}

skip_row() { rows+=("| $1 | — | — | — | — | — | — | skipped: $2 |"); }

q() { printf '%q' "$1"; }
T_=$(q "$TREE")

if ! skipped readfloor; then
	measure readfloor "0" "$(q "$out/readfloor") $T_ | tee $(q "$out/readfloor.txt")"
fi
if [ -z "$floor" ]; then
	# Everything is a ratio to the floor: measure it even when asked not to.
	measure readfloor "0" "$(q "$out/readfloor") $T_ | tee $(q "$out/readfloor.txt")"
fi
skipped find || measure "find" "0" "find $T_ -type f | wc -l"
if ! skipped shellscan; then
	if [ $have_shellscan = 1 ]; then
		measure shellscan "0 1" "$(q "$out/shellscan") --no-progress -j $JOBS ${SHELLSCAN_ARGS:+$SHELLSCAN_ARGS }${sigs_args[*]+$(printf '%q ' "${sigs_args[@]}")}$T_"
	else
		skip_row shellscan "does not build (see bench/out/shellscan-build.log)"
	fi
fi
# rg: -uuu so that it reads what the others read (hidden files such as
# .htaccess, files named in the tree's .gitignore files, binary files).
for v in rg rg-i; do
	skipped $v && continue
	if [ $have_rg = 0 ]; then skip_row $v "ripgrep not installed"; continue; fi
	if [ $have_lits = 0 ]; then skip_row $v "no literals (needs shellscan rules literals)"; continue; fi
	flag=""; [ $v = rg-i ] && flag=" -i"
	measure $v "0 1" "rg -uuu -j $JOBS -F$flag -l -f $(q "$out/literals-utf8.txt") $T_"
done
if ! skipped yara; then
	if [ $have_yara = 0 ]; then skip_row yara "yara not installed or rules not generated"
	elif [ $have_lits = 0 ]; then skip_row yara "no literals (needs shellscan rules literals)"
	else measure yara "0 1" "yara -w -N -p $JOBS -r $(q "$out/literals.yar") $T_"
	fi
fi
if ! skipped clamscan; then
	if command -v clamscan >/dev/null; then
		measure clamscan "0 1" "clamscan -r --no-summary -i $T_"
	else
		skip_row clamscan "clamav not installed"
	fi
fi

{
	echo "- files: ${files:-?}, bytes: ${bytes:-?} ($(awk -v b="${bytes:-0}" 'BEGIN{printf "%.2f GB", b/1e9}')); warm page cache; $RUNS runs after 1 warm-up; timing: $([ $hyperfine = 1 ] && echo hyperfine || echo built-in)"
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| row | command | median s | runs s | × floor | MB/s | peak RSS MB | note |"
	echo "|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	if [ -s "$out/shellscan.stderr" ] && ! skipped shellscan && [ $have_shellscan = 1 ]; then
		echo
		echo "- shellscan's summary (last run): $(grep -m1 -i 'scanned' "$out/shellscan.stderr" | cut -c1-300)"
	fi
	if [ ${#notes[@]} -gt 0 ]; then
		echo
		printf -- '- %s\n' "${notes[@]}"
	fi
} | tee "$out/table.md"
cat "$out/header.md" "$out/table.md" >"$out/last-run.md"
cp "$out/last-run.md" "$out/run-$(date -u +%Y%m%d-%H%M%S).md"
rm -f "$out/time.out" "$out/cmd.err" "$out/hf.json" "$out/hf.err"
