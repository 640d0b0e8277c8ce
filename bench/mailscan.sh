#!/usr/bin/env bash
# mailscan.sh [DIR] — mailscan postfix on generated Postfix logs (bench/genmaillog),
# in one run:
#   1. a 1 GiB log: mailscan's throughput vs `grep -c sasl_username=` on the
#      same file (target: >= 50% of grep's), and mailscan's peak RSS;
#   2. a smaller log (SMALL, default 256M): mailscan vs spam-gear's own
#      pipeline (bench/spamgear-postfix.sh; target: >= 20x faster).
# Both logs have classic syslog timestamps (spam-gear's awk needs them) and
# cover 24 hours; the window is the whole day. Files go to DIR (default
# /var/tmp/spamgear-bench), made once and reused.
set -euo pipefail
dir=${1:-/var/tmp/spamgear-bench}
cd "$(dirname "$0")/.."
mkdir -p "$dir" bench/out
big=$dir/mail-1g.log small=$dir/mail-${SMALL:-256M}.log
end=2026-11-27T12:00:00Z
[ -s "$big" ] || go run ./bench/genmaillog -size 1G -classic -end "$end" -out "$big"
[ -s "$small" ] || go run ./bench/genmaillog -size "${SMALL:-256M}" -classic -end "$end" -out "$small"
go build -o bench/out/mailscan ./cmd/mailscan
ms=bench/out/mailscan
now() { date +%s.%N; }
# Output goes to a file, not /dev/null: GNU grep stops at the first match
# when its output is /dev/null.
secs() { local a b; a=$(now); "$@" > bench/out/mailscan.out 2>&1 || true; b=$(now); echo "$b - $a" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }
cat "$big" "$small" > /dev/null   # page cache
args=(postfix --now 2026-11-28T00:00:00Z -p 3days -m 90)   # the whole log

echo "## mailscan on generated Postfix logs — $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
size=$(stat -c %s "$big")
for i in 1 2 3; do
  g[$i]=$(secs grep -c sasl_username= "$big")
  m[$i]=$(secs "$ms" "${args[@]}" --log "$big")
done
gm=$(printf '%s\n' "${g[@]}" | sort -n | sed -n 2p); mm=$(printf '%s\n' "${m[@]}" | sort -n | sed -n 2p)
rss=$( { /usr/bin/time -f %M "$ms" "${args[@]}" --log "$big" > /dev/null; } 2>&1 | tail -1)
echo "- 1 GiB log ($size bytes): grep -c sasl_username= ${gm} s ($(echo "scale=0; $size / $gm / 1000000" | bc) MB/s); mailscan postfix ${mm} s ($(echo "scale=0; $size / $mm / 1000000" | bc) MB/s) = $(ratio "$gm" "$mm") of grep's throughput (target >= 0.50); peak RSS ${rss} KB"
boundary=20261124000000
ssize=$(stat -c %s "$small")
sg=$(secs bench/spamgear-postfix.sh "$small" "$boundary" 90)
cp bench/out/mailscan.out bench/out/spamgear-report.out
sm=$(secs "$ms" "${args[@]}" --log "$small")
cp bench/out/mailscan.out bench/out/mailscan-report.out
# The same senders with the same message and IP counts? (spam-gear counted
# networks from reverse-DNS text, mailscan from the address: those differ.)
counts() { grep -E '^[0-9]+ \(' "$1" | sed -E 's/^([0-9]+) \(([0-9]+) nets\/([0-9]+) unknowns\/([0-9]+) IPs.*sasl_username=(.*)$/\5 \1 \3 \4/' | sort; }
if diff <(counts bench/out/spamgear-report.out) <(counts bench/out/mailscan-report.out) > /dev/null; then agree="same senders, messages, unknowns and IPs"; else agree="REPORTS DIFFER (see bench/out/*-report.out)"; fi
echo "- $ssize-byte log: spam-gear's pipeline ${sg} s; mailscan postfix ${sm} s: $(ratio "$sg" "$sm")x faster (target >= 20x); $agree"
"$ms" "${args[@]}" --log "$small" | head -4 | cut -c1-160 | sed 's/^/    /'
