package clamav

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
)

// DefaultConfigPath is clamd.conf on Debian.
const DefaultConfigPath = "/etc/clamav/clamd.conf"

// DefaultStreamMaxLength is clamd 1.4's StreamMaxLength when clamd.conf does
// not set it: 100M, as clamd.conf(5) documents and `clamconf` of 1.4.6
// prints (104857600). Debian's generated clamd.conf sets 25M.
const DefaultStreamMaxLength int64 = 100 << 20

// ConfigStreamMaxLength returns the StreamMaxLength clamd uses with the
// configuration file confPath ("" means DefaultConfigPath), in bytes:
// the last "StreamMaxLength 25M" line (units K, M, G in either case; lines
// starting with '#' are comments), or DefaultStreamMaxLength when the file
// does not set it. 0 means clamd enforces no limit. ok is false when the
// file cannot be read or the value is malformed; the limit is then unknown.
//
// clamd does not report the limit over its socket, so this works only for a
// clamd whose configuration file is readable here.
func ConfigStreamMaxLength(confPath string) (limit int64, ok bool) {
	if confPath == "" {
		confPath = DefaultConfigPath
	}
	f, err := os.Open(confPath)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	limit, ok = DefaultStreamMaxLength, true
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if !strings.EqualFold(f[0], "StreamMaxLength") {
			continue
		}
		if len(f) < 2 {
			return 0, false
		}
		if limit, ok = parseSize(f[1]); !ok {
			return 0, false
		}
	}
	if sc.Err() != nil {
		return 0, false
	}
	return limit, ok
}

// parseSize parses clamd's SIZE values: "1048576", "512K", "25M", "1G".
func parseSize(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	mult := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, false
	}
	return n * mult, true
}
