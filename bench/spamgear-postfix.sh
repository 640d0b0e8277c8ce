#!/usr/bin/env bash
# spamgear-postfix.sh LOG BOUNDARY MAX — spam-gear's postfix-spam-check
# pipeline, step for step (grep | awk time filter, then cut | sort | uniq -c,
# then per reported user: grep, head, cut | sort | uniq | wc for IPs,
# unknowns, webmail and networks), reimplemented for bench/mailscan.sh so
# that mailscan can be timed against it on the same log. BOUNDARY is
# YYYYmmddHHMMSS; the log must have classic syslog timestamps, as
# spam-gear's awk expects. Prints spam-gear's report lines.
set -u
log=$1 boundary=$2 max=$3
sel=$(grep "sasl_username=" "$log" | awk -v boundary="$boundary" '
BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= 12; i++) mon[m[i]] = sprintf("%02d", i) }
{
  year = substr(boundary, 1, 4)
  if (mon[$1] == 12 && substr(boundary, 5, 2) == "01") year--
  t = year mon[$1] sprintf("%02d", $2) substr($3, 1, 2) substr($3, 4, 2) substr($3, 7, 2)
  if (t > boundary) print
}')
while read -r count user; do
  [ -n "$count" ] && [ "$count" -ge "$max" ] || continue
  userlogs=$(echo "$sel" | grep "sasl_username=${user}$")
  first=$(echo "$userlogs" | head -n1)
  ips=$(echo "$userlogs" | cut -d'[' -f3 | cut -d']' -f1 | sort | uniq | wc -l)
  unknowns=$(echo "$userlogs" | grep 'client=unknown\[' | cut -d'[' -f3 | cut -d']' -f1 | sort | uniq | wc -l)
  webmail=$(echo "$userlogs" | grep -cE 'client=[A-Za-z0-9.-]+\[192\.0\.2\.10\],')
  nets=$(echo "$userlogs" | cut -d'[' -f2 | cut -d'=' -f2 | sed 's/.*[0-9].//' | sort | uniq | wc -l)
  echo "$count ($nets nets/$unknowns unknowns/$ips IPs/$webmail webmail) -- $first"
done < <(echo "$sel" | cut -d'=' -f4 | sort -n | uniq -c)
