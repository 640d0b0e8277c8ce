package report

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spamgear/spamgear/scan"
	"github.com/spamgear/spamgear/walker"
)

// Summary counts what a run did. Not safe for concurrent use: the sink
// goroutine owns it.
type Summary struct {
	Files       int64 // files read and matched
	Duplicates  int64 // files whose content was matched before in the run
	Unchanged   int64 // files the cache knew clean and unchanged: not read
	KnownClean  int64 // files read whose content the cache knew clean: not matched
	Allowlisted int64 // files read whose content is on the allowlist: not matched (duplicates of those in Duplicates)
	Bytes       int64
	Infected    int64 // files with findings
	Findings    int64
	Unreadable  int64 // files that could not be read (exit code 3)
	Vanished    int64 // files gone between listing and reading
	Skipped     map[walker.Reason]int64
	Interrupted bool

	// clamd, when used.
	ClamdScanned int64 // files clamd scanned (duplicates of those are not sent again)
	ClamdTooBig  int64 // files over clamd's StreamMaxLength: not sent
	ClamdMissed  int64 // files clamd should have seen and did not (down, errors): the run is incomplete

	// Remediation, counted by its caller.
	Quarantined   int64 // files moved into quarantine
	Cleaned       int64 // files cleaned in place
	Notified      int64 // users mailed
	ActionsFailed int64 // quarantines, cleanings and notifications that failed
}

// AddVerdict counts a verdict.
func (s *Summary) AddVerdict(v *scan.Verdict) {
	switch {
	case v.Err == nil:
		s.Files++
		s.Bytes += v.Size
		switch {
		case v.Cached:
			s.Unchanged++
		case v.Duplicate:
			s.Duplicates++
		case v.ContentCached:
			s.KnownClean++
		case v.Allowlisted:
			s.Allowlisted++
		}
		if v.Infected() {
			s.Infected++
			s.Findings += int64(len(v.Findings))
		}
		switch {
		case v.Duplicate:
			// clamd's verdict on the first copy was reused: not sent again.
		case v.Clamd == scan.ClamdScanned:
			s.ClamdScanned++
		case v.Clamd == scan.ClamdTooBig:
			s.ClamdTooBig++
		case v.Clamd == scan.ClamdMissed:
			s.ClamdMissed++
		}
	case errors.Is(v.Err, fs.ErrNotExist):
		s.Vanished++
	case errors.Is(v.Err, scan.ErrTooBig):
		s.AddSkip(walker.Skip{Reason: walker.SkipTooBig})
	default:
		// Unreadable, or listed as a regular file and swapped for a
		// symlink, FIFO or another file before it was opened: not
		// scanned, so the run is incomplete.
		s.Unreadable++
	}
}

// AddSkip counts a skip; unreadable directories and paths count as
// unreadable.
func (s *Summary) AddSkip(sk walker.Skip) {
	if sk.Reason == walker.SkipError {
		if errors.Is(sk.Err, fs.ErrNotExist) {
			s.Vanished++
		} else {
			s.Unreadable++
		}
		return
	}
	if s.Skipped == nil {
		s.Skipped = map[walker.Reason]int64{}
	}
	s.Skipped[sk.Reason]++
}

// String renders the summary line printed on stderr.
func (s *Summary) String(elapsed time.Duration) string {
	var sb strings.Builder
	secs := elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Bytes) / secs / 1e6
	}
	fmt.Fprintf(&sb, "%d files", s.Files)
	if s.Unchanged > 0 {
		fmt.Fprintf(&sb, " (%d unchanged, not read)", s.Unchanged)
	}
	read := s.Files - s.Unchanged
	fmt.Fprintf(&sb, ", %d read (%s", read, HumanBytes(s.Bytes))
	if s.Duplicates > 0 {
		fmt.Fprintf(&sb, ", %d duplicates", s.Duplicates)
	}
	if s.KnownClean > 0 {
		fmt.Fprintf(&sb, ", %d known clean", s.KnownClean)
	}
	if s.Allowlisted > 0 {
		fmt.Fprintf(&sb, ", %d allowlisted", s.Allowlisted)
	}
	fmt.Fprintf(&sb, ", %d matched) in %s (%.0f MB/s): %d infected, %d findings",
		read-s.Duplicates-s.KnownClean-s.Allowlisted, elapsed.Round(time.Millisecond), rate, s.Infected, s.Findings)
	if s.Unreadable > 0 {
		fmt.Fprintf(&sb, ", %d unreadable", s.Unreadable)
	}
	if s.Vanished > 0 {
		fmt.Fprintf(&sb, ", %d vanished", s.Vanished)
	}
	var parts []string
	for _, r := range []walker.Reason{walker.SkipSymlink, walker.SkipSpecial, walker.SkipDirectory, walker.SkipOtherFS, walker.SkipTooBig, walker.SkipFilter} {
		if n := s.Skipped[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, r))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(&sb, "; skipped: %s", strings.Join(parts, ", "))
	}
	if s.ClamdScanned+s.ClamdTooBig+s.ClamdMissed > 0 {
		fmt.Fprintf(&sb, "; clamd: %d scanned", s.ClamdScanned)
		if s.ClamdTooBig > 0 {
			fmt.Fprintf(&sb, ", %d over its size limit", s.ClamdTooBig)
		}
		if s.ClamdMissed > 0 {
			fmt.Fprintf(&sb, ", %d NOT seen by clamd", s.ClamdMissed)
		}
	}
	var acts []string
	for _, a := range []struct {
		n    int64
		what string
	}{{s.Quarantined, "quarantined"}, {s.Cleaned, "cleaned"}, {s.Notified, "users notified"}, {s.ActionsFailed, "actions FAILED"}} {
		if a.n > 0 {
			acts = append(acts, fmt.Sprintf("%d %s", a.n, a.what))
		}
	}
	if len(acts) > 0 {
		fmt.Fprintf(&sb, "; %s", strings.Join(acts, ", "))
	}
	if s.Interrupted {
		sb.WriteString(" (interrupted)")
	}
	return sb.String()
}

// HumanBytes renders a byte count as 1.5 KiB, 3.1 GiB, ...
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
