package maillog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLinesParallelMatchesLines reads one log both ways, with blocks small
// enough that lines straddle them, and wants the same lines and repeats.
func TestLinesParallelMatchesLines(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&sb, "Nov 27 10:%02d:%02d mx postfix/smtpd[%d]: Q%d: client=unknown[192.0.2.%d], sasl_method=PLAIN, sasl_username=u%d\n",
			i/60%60, i%60, i, i, i%250, i%37)
		if i%97 == 0 {
			sb.WriteString("Nov 27 10:00:00 mx postfix/qmgr[1]: noise\n")
		}
		if i%101 == 0 {
			sb.WriteString("Nov 27 10:00:00 mx last message repeated 3 times\n")
		}
		if i%103 == 0 {
			sb.WriteString("Nov 27 10:00:00 mx postfix/smtpd[1]: connect from x\nNov 27 10:00:00 mx last message repeated 9 times\n")
		}
	}
	sb.WriteString("Nov 27 10:59:59 mx postfix/smtpd[9]: Q: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=last") // no newline
	p := filepath.Join(t.TempDir(), "mail.log")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	src := func() *Source {
		return &Source{Paths: []string{p}, Since: now.Add(-3 * time.Hour), Until: now, Now: now, Loc: time.UTC,
			Contains: []string{"sasl_username=", "last message repeated"}}
	}
	collect := func(out *[]string, mu *sync.Mutex) func(*Line) error {
		return func(l *Line) error {
			mu.Lock()
			*out = append(*out, fmt.Sprintf("%d %s", l.Repeat, l.Raw))
			mu.Unlock()
			return nil
		}
	}
	var seq, par []string
	var mu sync.Mutex
	st1, err := src().Lines(context.Background(), collect(&seq, &mu))
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{2, 3, 7, -3} {
		par = nil
		sp := src()
		if workers < 0 { // borrowed lines: the collector copies them
			workers, sp.Borrow = -workers, true
		}
		st2, err := sp.LinesParallel(context.Background(), workers, func() func(*Line) error { return collect(&par, &mu) })
		if err != nil {
			t.Fatal(err)
		}
		a, b := slices.Clone(seq), slices.Clone(par)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) || st1.InWindow != st2.InWindow || st1.Lines != st2.Lines || st1.Bytes != st2.Bytes {
			t.Errorf("workers %d: %d lines (stats %+v), sequential %d (stats %+v)", workers, len(b), st2, len(a), st1)
		}
	}
}

func TestIndexPivot(t *testing.T) {
	for _, tc := range []struct{ b, n string }{
		{"abc sasl_method=x, sasl_username=u", "sasl_username="}, {"sasl_username=", "sasl_username="}, {"_username=", "sasl_username="},
		{"xx last message repeated 3 times", "last message repeated"}, {"", "x"}, {"abc", ""}, {"a_b_c_sasl_", "sasl_username="},
	} {
		if got, want := indexPivot([]byte(tc.b), []byte(tc.n)), strings.Index(tc.b, tc.n); got != want {
			t.Errorf("indexPivot(%q, %q) = %d, want %d", tc.b, tc.n, got, want)
		}
		for pv := range len(tc.n) { // whichever byte a sample makes the pivot
			if got, want := indexAt([]byte(tc.b), []byte(tc.n), pv), strings.Index(tc.b, tc.n); got != want {
				t.Errorf("indexAt(%q, %q, %d) = %d, want %d", tc.b, tc.n, pv, got, want)
			}
		}
	}
}

// TestPivotOf wants the byte rarest in the sample, the static rank
// breaking ties and standing in for a missing sample.
func TestPivotOf(t *testing.T) {
	var counts [256]int
	for _, c := range []byte("Nov 27 10:00:00 mail1 postfix/smtpd[1]: connect from unknown[198.51.100.1]\n" +
		"Nov 27 10:00:00 mail1 postfix/cleanup[2]: 1A2B: message-id=<x@example.org>\n") {
		counts[c]++
	}
	for _, tc := range []struct {
		needle string
		counts *[256]int
		want   byte
	}{
		{"sasl_username=", &counts, '_'}, // absent from the sample, and '_' ranks first
		{"last message repeated", &counts, 'g'},
		{"last message repeated", nil, 'l'}, // all lower case: the first
		{"sasl_username=", nil, '_'},
	} {
		if got := tc.needle[pivotOf([]byte(tc.needle), tc.counts)]; got != tc.want {
			t.Errorf("pivotOf(%q, sample %v) = %q, want %q", tc.needle, tc.counts != nil, got, tc.want)
		}
	}
}

func TestLastNewline(t *testing.T) {
	// Bytes around '\n' (0x0a) and with the high bit set must not be taken
	// for it; every length and position up to a few words.
	fill := []byte{'a', 0x0b, 0x09, 0x8a, 0xff, 0x00, 0x01, 0x7f, 0x80}
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = fill[i%len(fill)]
		}
		if got := lastNewline(b); got != -1 {
			t.Errorf("len %d, no newline: %d", n, got)
		}
		for _, nl := range [][]int{{0}, {n - 1}, {n / 2}, {0, n / 3, n - 1}, {n / 2, n/2 + 1}} {
			c := slices.Clone(b)
			for _, i := range nl {
				if i >= 0 && i < n {
					c[i] = '\n'
				}
			}
			if got, want := lastNewline(c), bytes.LastIndexByte(c, '\n'); got != want {
				t.Errorf("%q: %d, want %d", c, got, want)
			}
		}
	}
}
