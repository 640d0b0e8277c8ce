package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/scan"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/walker"
)

func TestEscapePath(t *testing.T) {
	tests := map[string]string{
		"/home/a/b.php":          "/home/a/b.php",
		"/home/a/with space.php": "/home/a/with space.php",
		"/home/a/é.php":          "/home/a/é.php",
		"/home/a/x\ny.php":       `/home/a/x\ny.php`,
		"/home/a/\x1b[2J.php":    `/home/a/\x1b[2J.php`,
		"/home/a/\xff.php":       `/home/a/\xff.php`,
		`/home/a/back\slash`:     `/home/a/back\\slash`,
		"/home/a/\u2028.php":     `/home/a/\xe2\x80\xa8.php`,
	}
	for in, want := range tests {
		if got := EscapePath(in); got != want {
			t.Errorf("EscapePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func verdict(path string, names ...string) *scan.Verdict {
	v := &scan.Verdict{Target: walker.Target{Path: path}, Size: 10, SHA256: strings.Repeat("a", 64)}
	for i, n := range names {
		r := &signatures.Rule{ID: n + string(rune('0'+i)), Name: n, Engine: signatures.EngineDetector}
		v.Findings = append(v.Findings, matcher.Finding{Rule: r, Line: 1, Snippet: "x"})
	}
	return v
}

func TestTextOneLinePerSignatureName(t *testing.T) {
	var b bytes.Buffer
	if err := (Text{W: &b}).Write(verdict("/h/x.php", "c99", "c99", "r57"), "QUARANTINED"); err != nil {
		t.Fatal(err)
	}
	want := "/h/x.php [DETECTOR] [c99] [QUARANTINED]\n/h/x.php [DETECTOR] [r57] [QUARANTINED]\n"
	if b.String() != want {
		t.Errorf("got %q want %q", b.String(), want)
	}
}

// TestDecodedLayersShown: a finding in a decoded layer names its layers,
// in text and JSON; a finding in the file's own bytes has none.
func TestDecodedLayersShown(t *testing.T) {
	v := verdict("/h/x.php", "SG.A", "SG.B")
	v.Findings[1].Layers = []string{"base64", "gzinflate"}
	var b bytes.Buffer
	if err := (Text{W: &b}).Write(v, ""); err != nil {
		t.Fatal(err)
	}
	want := "/h/x.php [DETECTOR] [SG.A]\n/h/x.php [DETECTOR] [SG.B via base64>gzinflate]\n"
	if b.String() != want {
		t.Errorf("got %q want %q", b.String(), want)
	}
	b.Reset()
	if err := (JSON{W: &b}).Write(v, ""); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || strings.Contains(lines[0], `"layers"`) || !strings.Contains(lines[1], `"layers":["base64","gzinflate"]`) {
		t.Errorf("JSON:\n%s", b.String())
	}
}

func TestJSONInvalidUTF8Path(t *testing.T) {
	var b bytes.Buffer
	if err := (JSON{W: &b}).Write(verdict("/h/\xff.php", "c99"), ""); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["path"] != `/h/\xff.php` || rec["path_base64"] != "L2gv/y5waHA=" || rec["action"] != "reported" {
		t.Errorf("record %v", rec)
	}
}

func TestSummary(t *testing.T) {
	var s Summary
	s.AddVerdict(verdict("/a", "c99"))
	s.AddVerdict(verdict("/b"))
	s.AddVerdict(&scan.Verdict{Err: fs.ErrNotExist})
	s.AddVerdict(&scan.Verdict{Err: errors.New("EIO")})
	s.AddSkip(walker.Skip{Reason: walker.SkipSymlink})
	got := s.String(2 * time.Second)
	for _, want := range []string{"2 files", "1 infected", "1 unreadable", "1 vanished", "1 symlink"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary %q lacks %q", got, want)
		}
	}
}
