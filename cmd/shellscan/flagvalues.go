package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseSize parses a byte count with an optional K, M or G suffix (powers
// of 1024; "k", "KB", "KiB" all mean the same).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %q (want e.g. 512K, 32M, 1G)", s)
	}
	return n * mult, nil
}

// ageWindow turns find's -mtime argument into change-time bounds (unix
// ns, 0 = unbounded): "-N" changed less than N days ago, "+N" more than N
// days ago, "N" between N and N+1 days ago (find rounds down to whole days).
func ageWindow(arg string, now time.Time) (after, before int64, err error) {
	s := strings.TrimSpace(arg)
	sign := byte(0)
	if s != "" && (s[0] == '-' || s[0] == '+') {
		sign, s = s[0], s[1:]
	}
	n, perr := strconv.ParseUint(s, 10, 32)
	if perr != nil {
		return 0, 0, fmt.Errorf("invalid --mtime %q (want -N, +N or N days, as find -mtime)", arg)
	}
	day := 24 * time.Hour
	switch sign {
	case '-':
		return now.Add(-time.Duration(n) * day).UnixNano(), 0, nil
	case '+':
		return 0, now.Add(-time.Duration(n+1) * day).UnixNano(), nil
	}
	return now.Add(-time.Duration(n+1) * day).UnixNano(), now.Add(-time.Duration(n) * day).UnixNano(), nil
}
