package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/clamav/clamdtest"
)

// TestClamdEngine scans a tree through a real clamd with a signature
// database of harmless markers, alongside our own rules.
func TestClamdEngine(t *testing.T) {
	srv := clamdtest.Start(t, nil, clamdtest.WithStreamMaxLength("1M"), clamdtest.WithMaxThreads(3))
	marker := clamdtest.DefaultSigs["Spamgear.Test.Marker"]
	sig := clamdtest.ReportedName("Spamgear.Test.Marker")
	a := newActTree(t)
	clamHit := filepath.Join(a.home, "dave", "public_html", "img.jpg")
	write(t, clamHit, "\xff\xd8\xff\x00"+marker)
	big := filepath.Join(a.home, "dave", "big.bin")
	write(t, big, strings.Repeat("z", 2<<20))

	r := runCLI(t, "", a.args("--clamd=unix://"+srv.Addr(), "--quarantine="+a.q, a.home)...)
	if r.code != exitFound {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, clamHit+" [CLAMAV] ["+sig+"] [QUARANTINED]") {
		t.Errorf("clamd's hit not reported and quarantined:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, a.files["shell"]+" [RULES] [Test.Marker] [QUARANTINED]") {
		t.Errorf("our own hits missing:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "clamd: 7 scanned, 1 over its size limit") {
		t.Errorf("summary: %s", r.stderr)
	}

	r = runCLI(t, "", "clamd-check", "--clamd", srv.Addr(), "--clamd-conf", srv.ConfPath())
	if r.code != 0 || !strings.Contains(r.stdout, "PONG") || !strings.Contains(r.stdout, "threads: max 3") ||
		!strings.Contains(r.stdout, "stream size limit: 1.0 MiB") || !strings.Contains(r.stdout, "1 signatures in text databases") {
		t.Errorf("clamd-check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	jsonHit := filepath.Join(t.TempDir(), "x.bin")
	write(t, jsonHit, marker)
	r = runCLI(t, "", a.args("--clamd="+srv.Addr(), "--format", "json", jsonHit)...)
	if r.code != exitFound || !strings.Contains(r.stdout, `"engine":"CLAMAV"`) || !strings.Contains(r.stdout, sig) {
		t.Errorf("json: exit %d\n%s", r.code, r.stdout)
	}

	// clamd dies: one warning, our engines go on, and a run with no other
	// hit is incomplete (exit 3), saying how many files clamd missed.
	srv.Kill()
	clean := t.TempDir()
	write(t, filepath.Join(clean, "a.php"), "<?php echo 1;")
	write(t, filepath.Join(clean, "b.php"), "<?php echo 2;")
	r = runCLI(t, "", a.args("--clamd="+srv.Addr(), clean)...)
	if r.code != exitIncomplete || strings.Count(r.stderr, "clamd is not answering") != 1 ||
		!strings.Contains(r.stderr, "2 NOT seen by clamd") || !strings.Contains(r.stderr, "clamd did not see 2 file(s)") {
		t.Errorf("clamd down: exit %d\n%s", r.code, r.stderr)
	}
	write(t, filepath.Join(clean, "c.php"), "<?php spamgear-test-marker(9); ?>")
	r = runCLI(t, "", a.args("--clamd="+srv.Addr(), clean)...)
	if r.code != exitFound {
		t.Errorf("clamd down with a hit of ours: exit %d, want 1", r.code)
	}
	if r := runCLI(t, "", "clamd-check", "--clamd", srv.Addr()); r.code != exitFound || !strings.Contains(r.stderr, "unavailable") {
		t.Errorf("clamd-check of a dead clamd: exit %d %s", r.code, r.stderr)
	}
}
