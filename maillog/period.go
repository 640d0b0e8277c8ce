package maillog

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// periodUnit maps the unit words ParsePeriod accepts (GNU date's relative
// items and their short forms) to their length.
func periodUnit(u string) (time.Duration, bool) {
	switch u {
	case "s", "sec", "secs", "second", "seconds":
		return time.Second, true
	case "m", "min", "mins", "minute", "minutes":
		return time.Minute, true
	case "h", "hr", "hrs", "hour", "hours":
		return time.Hour, true
	case "d", "day", "days":
		return 24 * time.Hour, true
	case "w", "week", "weeks":
		return 7 * 24 * time.Hour, true
	case "fortnight", "fortnights":
		return 14 * 24 * time.Hour, true
	}
	return 0, false
}

// ParsePeriod parses how far back to look, as spam-gear's PERIOD (GNU date
// relative items: "1hour", "30minutes", "10minute", "2days", "1 hour",
// "90min", "45sec", "1week", several items summed: "1 day 2 hours", an
// optional trailing "ago") or as a Go duration ("90m", "1h30m", "1.5h").
// Units are case-insensitive. The period must be positive; months and
// years are refused (not a fixed length).
func ParsePeriod(s string) (time.Duration, error) {
	d, err := parsePeriod(s)
	if err != nil {
		return 0, fmt.Errorf("period %q: %w", s, err)
	}
	return d, nil
}

func parsePeriod(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty")
	}
	if d, err := time.ParseDuration(t); err == nil {
		if d <= 0 {
			return 0, errors.New("must be positive")
		}
		return d, nil
	}
	t = strings.ToLower(t)
	if rest, ok := strings.CutSuffix(t, "ago"); ok {
		t = strings.TrimSpace(rest)
	}
	var total time.Duration
	for items := 0; ; items++ {
		t = strings.TrimLeft(t, " \t,")
		if t == "" {
			if items == 0 {
				return 0, errors.New("empty")
			}
			break
		}
		i := 0
		for i < len(t) && isDigit(t[i]) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("expected a number at %q (e.g. 1hour, 30minutes, 2days or 1h30m)", t)
		}
		if i > 9 {
			return 0, errors.New("number too large")
		}
		n := 0
		for _, c := range t[:i] {
			n = n*10 + int(c-'0')
		}
		t = strings.TrimLeft(t[i:], " \t")
		j := 0
		for j < len(t) && t[j] >= 'a' && t[j] <= 'z' {
			j++
		}
		word := t[:j]
		t = t[j:]
		if word == "" {
			if t == "" {
				return 0, fmt.Errorf("missing unit after %d (e.g. %dminutes)", n, n)
			}
			return 0, fmt.Errorf("unexpected %q after %d", t, n)
		}
		unit, ok := periodUnit(word)
		if !ok {
			switch strings.TrimSuffix(word, "s") {
			case "month", "year", "mon", "y":
				return 0, fmt.Errorf("%q is not a fixed length: use days or weeks", word)
			}
			return 0, fmt.Errorf("unknown unit %q (use sec, min, hour, day or week)", word)
		}
		if time.Duration(n) > (math.MaxInt64-total)/unit {
			return 0, errors.New("too large")
		}
		total += time.Duration(n) * unit
	}
	if total <= 0 {
		return 0, errors.New("must be positive")
	}
	return total, nil
}
