package maillog

import (
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
	}
}
