package maillog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func sumByUser(t *testing.T, p string, workers, maxLine int) (map[string]int, Stats) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	src := &Source{Paths: []string{p}, Since: now.Add(-3 * time.Hour), Until: now, Now: now, Loc: time.UTC, MaxLine: maxLine,
		Contains: []string{"sasl_username=", "last message repeated"}}
	var mu sync.Mutex
	got := map[string]int{}
	st, err := src.LinesParallel(context.Background(), workers, func() func(*Line) error {
		return func(l *Line) error {
			if s, ok := ParsePostfixSASL(l.Msg); ok && IsPostfixSMTPD(l.Program) {
				mu.Lock()
				got[s.User] += l.Repeat
				mu.Unlock()
			}
			return nil
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

// A "last message repeated" line that starts part 2 loses its repeat.
func TestParallelRepeatAtPartBoundary(t *testing.T) {
	sasl := "Nov 27 10:00:00 mx postfix/smtpd[1]: Q1: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=victim\n"
	rep := "Nov 27 10:00:01 mx last message repeated 50 times\n"
	pad := "Nov 27 10:00:00 mx postfix/qmgr[1]: " + strings.Repeat("x", 200) + "\n"
	// Build: padding, then sasl ending exactly at size/2, then rep, then padding of equal size.
	var head strings.Builder
	for i := 0; i < 40; i++ {
		head.WriteString(pad)
	}
	head.WriteString(sasl)
	tailLen := head.Len() - len(rep) // make total = 2*head.Len()
	tail := rep + "Nov 27 10:00:00 mx postfix/qmgr[1]: " + strings.Repeat("y", tailLen-37) + "\n"
	data := head.String() + tail
	if len(data) != 2*head.Len() {
		t.Fatalf("len %d, want %d", len(data), 2*head.Len())
	}
	p := filepath.Join(t.TempDir(), "maillog")
	os.WriteFile(p, []byte(data), 0o644)
	seq, _ := sumByUser(t, p, 1, 0)
	par, _ := sumByUser(t, p, 2, 0)
	if seq["victim"] != par["victim"] {
		t.Errorf("victim: sequential %d, parallel %d", seq["victim"], par["victim"])
	}
}

// The rest of a line longer than the part buffer becomes a line of its own.
func TestParallelOverlongLineTail(t *testing.T) {
	const maxLine = 200
	block := 16 << 10
	buf := block + maxLine + 1
	prefix := "Nov 27 10:00:00 mx evil[1]: "
	forged := "Nov 27 10:00:00 mx postfix/smtpd[1]: Q1: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=victim"
	long := prefix + strings.Repeat("A", buf-len(prefix)) + forged + "\n"
	var sb strings.Builder
	sb.WriteString(long)
	for sb.Len() < 3*len(long) {
		sb.WriteString("Nov 27 10:00:00 mx postfix/qmgr[1]: noise\n")
	}
	p := filepath.Join(t.TempDir(), "maillog")
	os.WriteFile(p, []byte(sb.String()), 0o644)
	seq, s1 := sumByUser(t, p, 1, maxLine)
	par, s2 := sumByUser(t, p, 2, maxLine)
	if seq["victim"] != par["victim"] || s1.Lines != s2.Lines || s1.Malformed != s2.Malformed {
		t.Errorf("victim: sequential %d, parallel %d; stats %+v vs %+v", seq["victim"], par["victim"], s1, s2)
	}
}
