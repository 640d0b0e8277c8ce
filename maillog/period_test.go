package maillog

import (
	"strings"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"1hour", time.Hour},
		{"1 hour", time.Hour},
		{"1Hour", time.Hour},
		{"2hours", 2 * time.Hour},
		{"3hrs", 3 * time.Hour},
		{"30minutes", 30 * time.Minute},
		{"10minute", 10 * time.Minute},
		{"90min", 90 * time.Minute},
		{"5 mins", 5 * time.Minute},
		{"45sec", 45 * time.Second},
		{"45secs", 45 * time.Second},
		{"45 seconds", 45 * time.Second},
		{"1second", time.Second},
		{"1day", 24 * time.Hour},
		{"2days", 48 * time.Hour},
		{"1d", 24 * time.Hour},
		{"1week", 7 * 24 * time.Hour},
		{"2weeks", 14 * 24 * time.Hour},
		{"1fortnight", 14 * 24 * time.Hour},
		{"1 day 2 hours", 26 * time.Hour},
		{"1 hour, 30 minutes", 90 * time.Minute},
		{"1h 30m", 90 * time.Minute},
		{"1 hour ago", time.Hour},
		{"  1hour\n", time.Hour},
		{"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"300ms", 300 * time.Millisecond},
		{"45s", 45 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePeriod(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParsePeriodErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"ago", "empty"},
		{"hour", "expected a number"},
		{"60", "missing unit"},
		{"1 parsec", `unknown unit "parsec"`},
		{"1month", "not a fixed length"},
		{"2 years", "not a fixed length"},
		{"0h", "must be positive"},
		{"0 hours", "must be positive"},
		{"-1h", "must be positive"},
		{"-1hour", "expected a number"},
		{"1.5hours", `unexpected ".5hours"`},
		{"1hour!", `expected a number at "!"`},
		{"9999999999 hours", "too large"},
		{"999999999 weeks", "too large"},
		{"300000 weeks 300000 weeks", "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePeriod(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "period") {
				t.Errorf("ParsePeriod(%q) = %v, %v; want an error containing %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"1hour", "30minutes", "1 day 2 hours", "1h30m", "90min", "0", "-1h", "1month", "9999999999 hours", "1 hour ago", "1.5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePeriod(s)
		if err == nil && d <= 0 {
			t.Fatalf("ParsePeriod(%q) = %v without error", s, d)
		}
		if err != nil && d != 0 {
			t.Fatalf("ParsePeriod(%q) = %v with error %v", s, d, err)
		}
	})
}
