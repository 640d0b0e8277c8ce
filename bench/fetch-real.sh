#!/usr/bin/env bash
# fetch-real.sh DIR — download real PHP applications and libraries from Debian
# (apt-get download, no installation) and unpack each with dpkg -x into
# DIR/<package>/. The .deb files are kept in DIR/.debs/ so a re-run downloads
# nothing new. Packages the configured apt sources do not carry are skipped
# (and listed). The result is the input of `gencorpus -real DIR`.
#
# Needs: apt-get (with `apt-get update` done once) and dpkg-deb. Network: the
# Debian mirror only. Safe to re-run.
#
# Override the package list with PACKAGES="a b c" bench/fetch-real.sh DIR.
set -u -o pipefail

if [ $# -ne 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	echo "usage: $0 DIR   (downloads Debian PHP packages and unpacks them into DIR/<pkg>/)" >&2
	exit 2
fi
dir=$1

# Web applications (each is a site a user could host) and PHP libraries (what
# sits in vendor/ directories). Themes go with WordPress (gencorpus nests
# wordpress-theme-* into every WordPress copy).
DEFAULT_PACKAGES="
wordpress wordpress-theme-twentytwentythree wordpress-theme-twentytwentytwo wordpress-theme-twentytwentyone
phpmyadmin roundcube-core roundcube-plugins mediawiki dokuwiki tt-rss postfixadmin adminer
cacti zabbix-frontend-php icingaweb2 moodle drupal7 drupal
php-phpseclib php-phpseclib3 smarty3 php-twig libphp-phpmailer php-tcpdf php-getid3 php-htmlpurifier
php-monolog php-guzzlehttp-guzzle php-doctrine-orm php-symfony-console php-symfony-http-kernel
php-symfony-http-foundation php-symfony-validator php-symfony-form php-symfony-dependency-injection
php-league-commonmark php-nesbot-carbon php-phpmyadmin-sql-parser php-sabre-dav php-sabre-vobject
php-fpdf php-pear php-laravel-framework php-horde-core php-horde-imp composer phpunit
"
packages=${PACKAGES:-$DEFAULT_PACKAGES}

command -v apt-get >/dev/null || { echo "fetch-real: apt-get not found" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "fetch-real: dpkg-deb not found" >&2; exit 1; }

mkdir -p "$dir/.debs" || exit 1
dir=$(cd "$dir" && pwd) || exit 1
debs=$dir/.debs

first_deb() { # first_deb PKG: path of PKG's downloaded .deb, or nothing
	local f
	for f in "$debs/${1}_"*.deb; do
		[ -e "$f" ] && { echo "$f"; return; }
	done
}

got=()
skipped=()
failed=()
start=$(date +%s)
for p in $packages; do
	# Already downloaded?
	deb=$(first_deb "$p")
	if [ -z "$deb" ]; then
		cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/{print $2; exit}')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			skipped+=("$p")
			continue
		fi
		if ! (cd "$debs" && apt-get download -q "$p" >/dev/null 2>"$debs/.err"); then
			echo "fetch-real: apt-get download $p failed: $(tail -n1 "$debs/.err")" >&2
			failed+=("$p")
			continue
		fi
		deb=$(first_deb "$p")
		[ -n "$deb" ] || { failed+=("$p"); continue; }
	fi
	# Unpack once; .unpacked records which .deb the tree came from.
	if [ "$(cat "$dir/$p/.unpacked" 2>/dev/null)" != "$(basename "$deb")" ]; then
		rm -rf "${dir:?}/$p"
		mkdir -p "$dir/$p"
		if ! dpkg-deb -x "$deb" "$dir/$p"; then
			echo "fetch-real: dpkg -x $deb failed" >&2
			rm -rf "${dir:?}/$p"
			failed+=("$p")
			continue
		fi
		basename "$deb" >"$dir/$p/.unpacked"
	fi
	got+=("$p")
done
rm -f "$debs/.err"

echo "fetch-real: unpacked ${#got[@]} packages into $dir ($(( $(date +%s) - start ))s)"
for p in "${got[@]}"; do
	n=$(find "$dir/$p" -type f -name '*.php' | wc -l)
	s=$(du -sm "$dir/$p" | cut -f1)
	printf '  %-36s %6d .php files %6d MB\n' "$p" "$n" "$s"
done
if [ ${#skipped[@]} -gt 0 ]; then
	echo "fetch-real: not available from the configured apt sources, skipped: ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "fetch-real: failed: ${failed[*]}" >&2
fi
total_php=$(find "$dir" -path "$debs" -prune -o -type f -name '*.php' -print | wc -l)
total_files=$(find "$dir" -path "$debs" -prune -o -type f -print | wc -l)
echo "fetch-real: total $total_files files, $total_php .php, $(du -sm --exclude=.debs "$dir" | cut -f1) MB"
[ ${#got[@]} -gt 0 ]
