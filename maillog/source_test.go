package maillog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// srcNow is "now" for the Source tests: 2026-11-27 12:00 UTC.
var srcNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// syslogLines returns one Postfix line per step from start to end
// (inclusive), each tagged with its time so tests can tell them apart.
func syslogLines(start, end time.Time, step time.Duration) string {
	var b strings.Builder
	for t := start; !t.After(end); t = t.Add(step) {
		fmt.Fprintf(&b, "%s mail postfix/smtpd[%d]: at %s\n", t.Format(time.Stamp), t.Hour()*100+t.Minute(), t.Format(time.RFC3339))
	}
	return b.String()
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// day returns 2026-11-DD hh:00 UTC.
func day(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }

// rotatedSet writes mail.log (Nov 26 06:00 – Nov 27 11:00), mail.log.1
// (Nov 25 – Nov 26 05:00) and mail.log.2.gz (Nov 24, or
// the given bytes), hourly, and returns mail.log's path.
func rotatedSet(t *testing.T, two []byte) string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "mail.log")
	writeFile(t, log, []byte(syslogLines(day(26, 6), day(27, 11), time.Hour)))
	writeFile(t, log+".1", []byte(syslogLines(day(25, 0), day(26, 5), time.Hour)))
	if two == nil {
		two = gzipped(t, syslogLines(day(24, 0), day(24, 23), time.Hour))
	}
	writeFile(t, log+".2.gz", two)
	return log
}

// collect runs s and returns the Msg of each line.
func collect(t *testing.T, s *Source) ([]string, Stats, error) {
	t.Helper()
	var msgs []string
	st, err := s.Lines(context.Background(), func(l *Line) error {
		msgs = append(msgs, l.Msg)
		return nil
	})
	return msgs, st, err
}

// at returns the Msg syslogLines wrote for t.
func at(t time.Time) string { return "at " + t.Format(time.RFC3339) }

func bases(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func TestSourceRotation(t *testing.T) {
	corrupt := []byte("\x1f\x8b this is not gzip")
	tests := []struct {
		name      string
		two       []byte // mail.log.2.gz; nil: valid
		since     time.Time
		until     time.Time
		wantFiles []string
		wantFirst time.Time
		wantLast  time.Time
		wantErr   string
	}{
		{name: "window within mail.log", two: corrupt, since: day(27, 9),
			wantFiles: []string{"mail.log"}, wantFirst: day(27, 9), wantLast: day(27, 11)},
		{name: "window reaches into .1 only: .2.gz not opened", two: corrupt, since: day(26, 0),
			wantFiles: []string{"mail.log.1", "mail.log"}, wantFirst: day(26, 0), wantLast: day(27, 11)},
		{name: "window starts at .1's first line", two: corrupt, since: day(25, 0),
			wantFiles: []string{"mail.log.1", "mail.log"}, wantFirst: day(25, 0), wantLast: day(27, 11)},
		{name: "window reaches into .2.gz", since: day(24, 12),
			wantFiles: []string{"mail.log.2.gz", "mail.log.1", "mail.log"}, wantFirst: day(24, 12), wantLast: day(27, 11)},
		{name: "window before everything", since: day(20, 0), until: day(24, 2),
			wantFiles: []string{"mail.log.2.gz", "mail.log.1", "mail.log"}, wantFirst: day(24, 0), wantLast: day(24, 2)},
		{name: "until bounds the end", two: corrupt, since: day(26, 0), until: day(26, 8),
			wantFiles: []string{"mail.log.1", "mail.log"}, wantFirst: day(26, 0), wantLast: day(26, 8)},
		{name: "corrupt .2.gz in the window", two: corrupt, since: day(24, 12),
			wantFiles: []string{"mail.log.1", "mail.log"}, wantFirst: day(25, 0), wantLast: day(27, 11),
			wantErr: "mail.log.2.gz: gzip: invalid header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := rotatedSet(t, tc.two)
			s := &Source{Paths: []string{log}, Since: tc.since, Until: tc.until, Now: srcNow, Loc: time.UTC}
			msgs, st, err := collect(t, s)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if got := bases(st.Files); !slices.Equal(got, tc.wantFiles) {
				t.Errorf("files read %q, want %q", got, tc.wantFiles)
			}
			var want []string
			for tm := tc.wantFirst; !tm.After(tc.wantLast); tm = tm.Add(time.Hour) {
				want = append(want, at(tm))
			}
			if !slices.Equal(msgs, want) {
				t.Errorf("got %d lines %q…, want %d lines %q…", len(msgs), head(msgs), len(want), head(want))
			}
			if st.InWindow != int64(len(want)) || st.Malformed != 0 || st.Truncated != 0 {
				t.Errorf("stats %+v", st)
			}
			if st.Lines < st.InWindow || st.Bytes == 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func head(s []string) []string { return s[:min(len(s), 3)] }

func TestSourceTruncatedGzip(t *testing.T) {
	full := gzipped(t, syslogLines(day(24, 0), day(25, 5), time.Minute))
	log := rotatedSet(t, full[:len(full)*2/3])
	s := &Source{Paths: []string{log}, Since: day(24, 0), Now: srcNow, Loc: time.UTC}
	msgs, st, err := collect(t, s)
	if err == nil || !strings.Contains(err.Error(), "mail.log.2.gz") || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want an unexpected EOF naming mail.log.2.gz", err)
	}
	// The lines read before the damage stand, then .1 and mail.log follow.
	if len(msgs) < 1000 || msgs[0] != at(day(24, 0)) || msgs[len(msgs)-1] != at(day(27, 11)) {
		t.Errorf("%d lines, first %q, last %q", len(msgs), msgs[0], msgs[len(msgs)-1])
	}
	if got := bases(st.Files); !slices.Equal(got, []string{"mail.log.2.gz", "mail.log.1", "mail.log"}) {
		t.Errorf("files %q", got)
	}
}

func TestSourceJustRotated(t *testing.T) {
	log := rotatedSet(t, nil)
	writeFile(t, log, nil) // logrotate just created an empty mail.log
	s := &Source{Paths: []string{log}, Since: day(26, 0), Now: srcNow, Loc: time.UTC}
	msgs, st, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := bases(st.Files); !slices.Equal(got, []string{"mail.log.1", "mail.log"}) {
		t.Errorf("files %q", got)
	}
	if len(msgs) != 6 || msgs[0] != at(day(26, 0)) {
		t.Errorf("lines %q", msgs)
	}
}

func TestSourceDatedRotation(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "maillog")
	writeFile(t, log, []byte(syslogLines(day(26, 6), day(27, 11), time.Hour)))
	writeFile(t, log+"-20261126", []byte(syslogLines(day(25, 0), day(26, 5), time.Hour)))
	writeFile(t, log+"-20261125.gz", gzipped(t, syslogLines(day(24, 0), day(24, 23), time.Hour)))
	writeFile(t, log+"-20261124.gz", []byte("corrupt, never opened"))
	writeFile(t, log+"-notadate", []byte("ignored"))
	s := &Source{Paths: []string{log}, Since: day(24, 12), Now: srcNow, Loc: time.UTC}
	msgs, st, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := bases(st.Files); !slices.Equal(got, []string{"maillog-20261125.gz", "maillog-20261126", "maillog"}) {
		t.Errorf("files %q", got)
	}
	if len(msgs) != 12+30+30 || msgs[0] != at(day(24, 12)) {
		t.Errorf("%d lines, first %q", len(msgs), msgs[0])
	}
}

func TestRotatedNames(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "mail.log")
	for _, n := range []string{"mail.log", "mail.log.1", "mail.log.2", "mail.log.2.gz", "mail.log.10.gz", "mail.log.3.gz",
		"mail.log-20261120.gz", "mail.log-20261126", "mail.log-2026112712", "mail.log.0", "mail.log.x", "mail.log.1.bak",
		"mail.logger.1", "mail.log-1", "other.log.1"} {
		writeFile(t, filepath.Join(dir, n), nil)
	}
	if err := os.Mkdir(filepath.Join(dir, "mail.log.4"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := rotatedNames(base)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mail.log.1", "mail.log.2", "mail.log.3.gz", "mail.log.10.gz", "mail.log-2026112712", "mail.log-20261126", "mail.log-20261120.gz"}
	if !slices.Equal(bases(got), want) {
		t.Errorf("rotatedNames = %q\nwant %q", bases(got), want)
	}
}

func TestSourceFiltersEachLine(t *testing.T) {
	// syslog's clock may jump back: a stale line in the middle does not
	// end the window.
	dir := t.TempDir()
	log := filepath.Join(dir, "mail.log")
	content := "Nov 27 10:00:00 mail p[1]: a\n" +
		"Nov 27 08:00:00 mail p[1]: stale\n" +
		"Nov 27 10:01:00 mail p[1]: b\r\n" + // CRLF
		"garbage line\n" +
		"Nov 27 10:02:00 mail\n" +
		"Nov 27 10:02:00  bad host\n" +
		"Nov 27 13:00:00 mail p[1]: after until\n" +
		"Nov 27 10:03:00 mail p[1]: c" // no final newline
	writeFile(t, log, []byte(content))
	s := &Source{Paths: []string{log}, Since: day(27, 9), Until: day(27, 11), Now: srcNow, Loc: time.UTC}
	msgs, st, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "", "c"}; !slices.Equal(msgs, want) {
		t.Errorf("lines %q, want %q", msgs, want)
	}
	want := Stats{Files: []string{log}, Lines: 8, InWindow: 4, Malformed: 2, Bytes: int64(len(content))}
	if !statsEqual(st, want) {
		t.Errorf("stats %+v\nwant  %+v", st, want)
	}
}

func statsEqual(a, b Stats) bool {
	return slices.Equal(a.Files, b.Files) && a.Lines == b.Lines && a.InWindow == b.InWindow &&
		a.Malformed == b.Malformed && a.Truncated == b.Truncated && a.Bytes == b.Bytes
}

func TestSourceLongLines(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "phpmail.log")
	long := "[27-Nov-2026 10:00:00 UTC] mail() on [/home/u/x.php:3]: To: a@b -- Headers: " + strings.Repeat("X", 5000)
	content := "[27-Nov-2026 10:00:00 UTC] short\n" + long + "\n" + "[27-Nov-2026 10:00:01 UTC] after\n" +
		strings.Repeat("Y", 300) + "\n" + long // last one without newline
	writeFile(t, log, []byte(content))
	var raws []string
	s := &Source{Paths: []string{log}, Since: day(27, 9), Now: srcNow, Loc: time.UTC, MaxLine: 100}
	st, err := s.Lines(context.Background(), func(l *Line) error {
		raws = append(raws, l.Raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"[27-Nov-2026 10:00:00 UTC] short", long[:100], "[27-Nov-2026 10:00:01 UTC] after", long[:100]}
	if !slices.Equal(raws, want) {
		t.Errorf("lines %q\nwant %q", raws, want)
	}
	if st.Lines != 5 || st.Truncated != 3 || st.Malformed != 1 || st.InWindow != 4 || st.Bytes != int64(len(content)) {
		t.Errorf("stats %+v", st)
	}
}

func TestSourceUndated(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "phpmail.log")
	content := "[20-Nov-2026 10:00:00 UTC] mail() on [/home/u/old.php:3]: To: a@b\n" +
		"mail() on [/home/u/a.php:3]: To: a@b -- Headers: From: x\n" +
		"[27-Nov-2026 10:00:00 UTC] mail() on [/home/u/b.php:3]: To: a@b\n"
	writeFile(t, log, []byte(content))
	writeFile(t, log+".1", []byte("never read"))
	for _, keep := range []bool{false, true} {
		s := &Source{Paths: []string{log}, Since: day(27, 9), Now: srcNow, Loc: time.UTC, KeepUndated: keep}
		var lines []Line
		st, err := s.Lines(context.Background(), func(l *Line) error {
			lines = append(lines, *l)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if keep {
			if len(lines) != 2 || !lines[0].Time.IsZero() || lines[0].Msg != lines[0].Raw || !strings.Contains(lines[1].Msg, "b.php") || st.Malformed != 0 {
				t.Errorf("keep: lines %+v, stats %+v", lines, st)
			}
		} else if len(lines) != 1 || !strings.Contains(lines[0].Msg, "b.php") || st.Malformed != 1 {
			t.Errorf("drop: lines %+v, stats %+v", lines, st)
		}
	}

	// A file with lines but no dates: older copies cannot be placed.
	writeFile(t, log, []byte("mail() on [/home/u/a.php:3]: To: a@b\n"))
	s := &Source{Paths: []string{log}, Since: day(27, 9), Now: srcNow, Loc: time.UTC, KeepUndated: true}
	msgs, st, err := collect(t, s)
	if err != nil || len(msgs) != 1 || len(st.Files) != 1 {
		t.Errorf("undated file: %q, %+v, %v", msgs, st, err)
	}
}

func TestSourceLastMessageRepeated(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "messages")
	content := "Nov 27 10:00:00 web php: mail() on [/home/u/x.php:3]: To: a@b\n" +
		"Nov 27 10:00:30 web last message repeated 41 times\n" +
		"Nov 27 10:01:00 web postfix/pickup[5]: message repeated 3 times: [ 4B1C2: uid=1000 from=<u>]\n" +
		"Nov 27 10:01:30 other last message repeated 2 times\n" + // another host: not a repeat
		"Nov 27 08:00:00 web php: old\n" +
		"Nov 27 10:02:00 web last message repeated 5 times\n" // its original is outside the window
	writeFile(t, log, []byte(content))
	s := &Source{Paths: []string{log}, Since: day(27, 9), Now: srcNow, Loc: time.UTC}
	var got []string
	_, err := s.Lines(context.Background(), func(l *Line) error {
		got = append(got, fmt.Sprintf("%s|%s|%d|%s|%s", l.Time.Format(time.TimeOnly), l.Program, l.Repeat, l.Msg, l.Raw[16:19]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"10:00:00|php|1|mail() on [/home/u/x.php:3]: To: a@b|web",
		"10:00:30|php|41|mail() on [/home/u/x.php:3]: To: a@b|web",
		"10:01:00|postfix/pickup|3|4B1C2: uid=1000 from=<u>|web",
		"10:01:30||1|last message repeated 2 times|oth",
		"10:02:00||1|last message repeated 5 times|web",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSourceStdin(t *testing.T) {
	content := syslogLines(day(27, 0), day(27, 11), time.Hour)
	for name, in := range map[string][]byte{"plain": []byte(content), "gzip": gzipped(t, content)} {
		t.Run(name, func(t *testing.T) {
			s := &Source{Paths: []string{"-"}, Stdin: bytes.NewReader(in), Since: day(27, 10), Now: srcNow, Loc: time.UTC}
			msgs, st, err := collect(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(msgs, []string{at(day(27, 10)), at(day(27, 11))}) || !slices.Equal(st.Files, []string{"-"}) || st.Lines != 12 {
				t.Errorf("lines %q, stats %+v", msgs, st)
			}
		})
	}
	_, _, err := collect(t, &Source{Paths: []string{"-"}})
	if err == nil {
		t.Error("no error for \"-\" without Stdin")
	}
}

func TestSourceOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mail.log")
	writeFile(t, good, []byte(syslogLines(day(27, 0), day(27, 11), time.Hour)))
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.log")
	tests := []struct {
		name string
		path string
		is   error
	}{
		{"missing", missing, fs.ErrNotExist},
		{"fifo", fifo, errNotRegular},
		{"directory", dir, errNotRegular},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			s := &Source{Paths: []string{good, tc.path}, Since: day(27, 0), Now: srcNow, Loc: time.UTC}
			st, err := s.Lines(context.Background(), func(*Line) error { calls++; return nil })
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("err = %v, want %v naming %s", err, tc.is, tc.path)
			}
			if calls != 0 || st.Lines != 0 {
				t.Errorf("read %d lines before failing", st.Lines)
			}
		})
	}
}

func TestSourceNotRegularRotation(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "mail.log")
	writeFile(t, log, []byte(syslogLines(day(27, 0), day(27, 11), time.Hour)))
	if err := unix.Mkfifo(log+".1", 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Source{Paths: []string{log}, Since: day(26, 0), Now: srcNow, Loc: time.UTC}
	msgs, _, err := collect(t, s)
	if !errors.Is(err, errNotRegular) || len(msgs) != 12 {
		t.Errorf("err = %v, %d lines; want not-regular error and mail.log's 12 lines", err, len(msgs))
	}
}

func TestSourceSameFileOnce(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "mail.log")
	writeFile(t, log, []byte(syslogLines(day(27, 0), day(27, 11), time.Hour)))
	writeFile(t, log+".1", []byte(syslogLines(day(26, 0), day(26, 23), time.Hour)))
	link := filepath.Join(dir, "maillog")
	if err := os.Symlink("mail.log", link); err != nil {
		t.Fatal(err)
	}
	s := &Source{Paths: []string{log, link, log + ".1"}, Since: day(26, 12), Now: srcNow, Loc: time.UTC}
	msgs, st, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 24 || !slices.Equal(bases(st.Files), []string{"mail.log.1", "mail.log"}) {
		t.Errorf("%d lines from %q", len(msgs), st.Files)
	}
}

func TestSourceStops(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "mail.log")
	writeFile(t, log, []byte(syslogLines(day(26, 0), day(27, 11), time.Minute)))
	stop := errors.New("stop")
	n := 0
	s := &Source{Paths: []string{log}, Since: day(26, 0), Now: srcNow, Loc: time.UTC}
	_, err := s.Lines(context.Background(), func(*Line) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 {
		t.Errorf("err = %v after %d lines, want fn's error after 10", err, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	_, err = s.Lines(ctx, func(*Line) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n > 2048 {
		t.Errorf("err = %v after %d lines, want context.Canceled soon after cancel", err, n)
	}
}
