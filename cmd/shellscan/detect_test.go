package main

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
)

// php removes the "§" that keeps this file's PHP snippets from matching
// in the test binary itself (TestOwnBinaryIsClean scans it).
func php(s string) string { return strings.ReplaceAll(s, "§", "") }

// packed returns a harmless PHP line that hides code under
// base64(gzdeflate(code)) without evaluating it, as droppers carry it.
func packed(t *testing.T, code string) string {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write([]byte(code))
	w.Close()
	return php("<?php $d = gz§inflate(base64§_decode('") + base64.StdEncoding.EncodeToString(buf.Bytes()) + "')); $n = 1;\n"
}

// TestDecodedAndScoredFindings: with the built-in rules, code hidden under
// layers is reported with its layers (not without decoding), and a file
// of weak signals is reported by its score.
func TestDecodedAndScoredFindings(t *testing.T) {
	dir := t.TempDir()
	hidden := filepath.Join(dir, "hidden.php")
	write(t, hidden, packed(t, php(`<?php echo shell§_exec($_REQUEST['q']);`)))
	scored := filepath.Join(dir, "scored.php")
	write(t, scored, php("<?php\n@error§_reporting(0);\n@set_time§_limit(0);\necho php§_uname();\n"+
		"if (md§5($_COOKIE['k']) != '0123456789abcdef0123456789abcdef') { exit; }\necho file_get§_contents($_GET['f']);\n"))
	write(t, filepath.Join(dir, "quiet.php"), php("<?php\n@set_time§_limit(0);\necho php§_uname();\n"))

	r := runCLI(t, "", "--data-dir", "", "--no-cache", "--no-progress", dir)
	if r.code != exitFound {
		t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{
		hidden + " [RULES] [SG.PHP.Exec.RequestInput via base64>gzinflate]",
		scored + " [RULES] [SG.PHP.Behaviour.Score]",
	} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("no line %q in:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "quiet.php") {
		t.Errorf("two weak signals flagged a file:\n%s", r.stdout)
	}
	r = runCLI(t, "", "--data-dir", "", "--no-cache", "--no-progress", "--format", "json", scored)
	if !strings.Contains(r.stdout, `"snippet":"score 13: SG.PHP.Signal.PasswordGate(4)`) {
		t.Errorf("JSON snippet does not list the signals:\n%s", r.stdout)
	}
	r = runCLI(t, "", "--data-dir", "", "--no-cache", "--no-progress", "--no-decode", hidden)
	if strings.Contains(r.stdout, "via") {
		t.Errorf("--no-decode decoded:\n%s", r.stdout)
	}
}

// TestRulesListShowsSignals: weighted rules and markers are told apart
// from categories.
func TestRulesListShowsSignals(t *testing.T) {
	r := runCLI(t, "", "rules", "list", "--data-dir", "")
	for _, want := range []string{"SG.PHP.Signal.PasswordGate\tRULES\tsignal(4)\t", "SG.PHP.Marker.Decoder\tRULES\tmarker\t", "SG.PHP.Eval.RequestInput\tRULES\tshell\t", "SG.PHP.Behaviour.Score\tRULES\tmalicious(score)\t", "SG.Stats.EncodedBlob\tRULES\tsignal(3)\t"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rules list lacks %q", want)
		}
	}
}
