package detect_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spamgear/spamgear/detect"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/sigs"
)

var (
	setOnce sync.Once
	set     *signatures.Set
	eng     *matcher.Engine
)

// defaults returns the built-in rules and their engine, built once.
func defaults(t *testing.T) (*signatures.Set, *matcher.Engine) {
	t.Helper()
	setOnce.Do(func() {
		s, err := signatures.Compile(sigs.Sources()...)
		if err != nil {
			panic(err)
		}
		set, eng = s, matcher.New(s, matcher.Options{})
	})
	return set, eng
}

func newDetector(t *testing.T, m matcher.Matcher, opt detect.Options) *detect.Detector {
	t.Helper()
	d, err := detect.New(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ids(fs []matcher.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule.ID)
	}
	return out
}

func hasRule(fs []matcher.Finding, id string) *matcher.Finding {
	for i := range fs {
		if fs[i].Rule.ID == id {
			return &fs[i]
		}
	}
	return nil
}

// TestSignalAloneNeverFlags: the true positives of every weighted rule,
// each alone in a file, give no score finding, and the weights are below
// the threshold.
func TestSignalAloneNeverFlags(t *testing.T) {
	s, e := defaults(t)
	d := newDetector(t, e, detect.Options{})
	n := 0
	for _, r := range s.Rules() {
		if r.Weight == 0 {
			continue
		}
		n++
		if r.Weight >= signatures.ScoreThreshold {
			t.Errorf("%s: weight %d reaches the threshold alone", r.ID, r.Weight)
		}
		for _, tp := range r.TruePositives {
			if f := hasRule(d.Match([]byte(tp), signatures.KindPHP), detect.ScoreRule.ID); f != nil {
				t.Errorf("%s: true positive %q alone is flagged: %s", r.ID, tp, f.Snippet)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d weighted rules", n)
	}
}

// TestFalsePositivesStaySilent: no rule's false-positive snippet is
// flagged by the whole pipeline (decisive rules, scores, decoded layers).
func TestFalsePositivesStaySilent(t *testing.T) {
	s, e := defaults(t)
	d := newDetector(t, e, detect.Options{})
	for _, r := range s.Rules() {
		for _, fp := range r.FalsePositives {
			if fs := d.Match([]byte(fp), signatures.KindPHP); len(fs) > 0 {
				t.Errorf("false positive of %s flagged by %v: %q", r.ID, ids(fs), fp)
			}
		}
	}
}

// TestMarkersNotReported: a marker's hit alone is not a finding.
func TestMarkersNotReported(t *testing.T) {
	_, e := defaults(t)
	d := newDetector(t, e, detect.Options{})
	src := []byte(`<?php $png = base64_decode($row['image']); echo strlen($png);`)
	if raw := e.Match(src, signatures.KindPHP); hasRule(raw, "SG.PHP.Marker.Decoder") == nil {
		t.Fatalf("marker did not hit the raw text: %v", ids(raw))
	}
	if fs := d.Match(src, signatures.KindPHP); len(fs) > 0 {
		t.Errorf("marker reported: %v", ids(fs))
	}
}

// TestScoreAddsUp: a file that shows several weak signals is flagged
// under ScoreRule, with every signal and the score in the snippet.
func TestScoreAddsUp(t *testing.T) {
	_, e := defaults(t)
	d := newDetector(t, e, detect.Options{})
	src := `<?php
@error_reporting(0);
@set_time_limit(0);
$u = posix_getpwuid(posix_geteuid());
if (md5($_COOKIE['k']) != '0123456789abcdef0123456789abcdef') { exit; }
echo file_get_contents($_GET['f']);
`
	fs := d.Match([]byte(src), signatures.KindPHP)
	f := hasRule(fs, detect.ScoreRule.ID)
	if f == nil {
		t.Fatalf("not flagged: %v", ids(fs))
	}
	// 2 + 2 + 2 + 4 + 3
	if !strings.HasPrefix(f.Snippet, "score 13:") {
		t.Errorf("snippet %q, want score 13", f.Snippet)
	}
	for _, id := range []string{"SG.PHP.Signal.SilenceErrors", "SG.PHP.Signal.NoTimeLimit", "SG.PHP.Signal.SystemRecon", "SG.PHP.Signal.PasswordGate(4)", "SG.PHP.Signal.FileFromRequest"} {
		if !strings.Contains(f.Snippet, id) {
			t.Errorf("snippet %q lacks %s", f.Snippet, id)
		}
	}
	if f.Line != 5 {
		t.Errorf("reported at line %d, want 5 (the heaviest signal)", f.Line)
	}
	// Remove one signal: the score drops below the threshold.
	less := strings.Replace(src, "md5($_COOKIE['k'])", "md5($k)", 1)
	if fs := d.Match([]byte(less), signatures.KindPHP); len(fs) > 0 {
		t.Errorf("score 9 flagged: %v %q", ids(fs), fs[0].Snippet)
	}
}

// deflate64 returns base64(gzdeflate(s)), as packers write it.
func deflate64(t *testing.T, s string) string {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestDecodedLayers: code hidden under base64 and deflate is matched, and
// its finding names the layers; without decoding it is not.
func TestDecodedLayers(t *testing.T) {
	_, e := defaults(t)
	inner := `<?php if (isset($_REQUEST['q'])) { echo shell_exec($_REQUEST['q']); }`
	// The packed blob is only assigned, never evaluated in plain sight:
	// nothing but the decoder marker shows in the file itself.
	src := []byte(`<?php $d = gzinflate(base64_decode('` + deflate64(t, inner) + `')); $k = 1;`)
	fs := newDetector(t, e, detect.Options{}).Match(src, signatures.KindPHP)
	f := hasRule(fs, "SG.PHP.Exec.RequestInput")
	if f == nil {
		t.Fatalf("hidden code not found: %v", ids(fs))
	}
	if want := []string{"base64", "gzinflate"}; !slices.Equal(f.Layers, want) {
		t.Errorf("layers %v, want %v", f.Layers, want)
	}
	if !strings.Contains(f.Snippet, "shell_exec") {
		t.Errorf("snippet %q is not from the decoded text", f.Snippet)
	}
	if fs := newDetector(t, e, detect.Options{NoDecode: true}).Match(src, signatures.KindPHP); hasRule(fs, "SG.PHP.Exec.RequestInput") != nil {
		t.Errorf("found without decoding: %v", ids(fs))
	}
	// Not PHP: not decoded.
	if fs := newDetector(t, e, detect.Options{}).Match(src, signatures.KindHTML); len(fs) > 0 {
		t.Errorf("non-PHP file decoded: %v", ids(fs))
	}
}

// TestDecodedRuleReportedOnce: a rule that hits the file itself is not
// reported again for a decoded layer.
func TestDecodedRuleReportedOnce(t *testing.T) {
	_, e := defaults(t)
	inner := `<?php echo shell_exec($_REQUEST['q']);`
	src := []byte(`<?php echo shell_exec($_POST['x']); $d = gzinflate(base64_decode('` + deflate64(t, inner) + `'));`)
	fs := newDetector(t, e, detect.Options{}).Match(src, signatures.KindPHP)
	n := 0
	for _, f := range fs {
		if f.Rule.ID == "SG.PHP.Exec.RequestInput" {
			n++
			if f.Layers != nil {
				t.Errorf("reported in layer %v, want the file's own hit", f.Layers)
			}
		}
	}
	if n != 1 {
		t.Errorf("reported %d times: %v", n, ids(fs))
	}
}

func TestContentStats(t *testing.T) {
	all := make([]byte, 256*4)
	for i := range all {
		all[i] = byte(i)
	}
	if s := detect.ContentStats(all); math.Abs(s.Entropy-8) > 1e-9 {
		t.Errorf("entropy of uniform bytes %v, want 8", s.Entropy)
	}
	if s := detect.ContentStats(bytes.Repeat([]byte("a"), 100)); s.Entropy != 0 || s.LongestWord != 100 || s.EncodedRatio != 1 {
		t.Errorf("100 a: %+v", s)
	}
	src := []byte("<?php $x = '" + strings.Repeat("QUJD", 50) + "';\n echo 1;")
	s := detect.ContentStats(src)
	if s.LongestWord != len("'"+strings.Repeat("QUJD", 50)+"';") {
		t.Errorf("longest word %d", s.LongestWord)
	}
	if want := 200.0 / float64(len(src)); math.Abs(s.EncodedRatio-want) > 1e-9 {
		t.Errorf("encoded ratio %v, want %v", s.EncodedRatio, want)
	}
	if s := detect.ContentStats(nil); s != (detect.Stats{}) {
		t.Errorf("empty: %+v", s)
	}
}

// TestStatsOnlyAddToAScore: a packed-looking file is not flagged by its
// statistics, nor with one weak signal (an installer with an embedded
// image that runs a command); with two or more signals the heaviest
// statistic can tip the score over.
func TestStatsOnlyAddToAScore(t *testing.T) {
	_, e := defaults(t)
	d := newDetector(t, e, detect.Options{})
	blob := make([]byte, 6000)
	for i := range blob {
		blob[i] = byte(i*7919 + i/13)
	}
	packed := base64.StdEncoding.EncodeToString(blob)
	for _, src := range []string{
		"<?php $data = '" + packed + "'; echo strlen($data);",
		"<?php $logo = '" + packed + "'; $v = shell_exec('convert -version');",
		"<?php $icon = '" + packed + "'; if (md5($_POST['p']) == '0123456789abcdef0123456789abcdef') { echo 1; }",
	} {
		if fs := d.Match([]byte(src), signatures.KindPHP); len(fs) > 0 {
			t.Errorf("statistics with at most one signal flagged: %v %q", ids(fs), fs[0].Snippet)
		}
	}
	signals := "<?php @set_time_limit(0); @error_reporting(0); $u = php_uname(); echo file_get_contents($_GET['f']); "
	if fs := d.Match([]byte(signals+"$x = 1;"), signatures.KindPHP); len(fs) > 0 {
		t.Fatalf("score 9 flagged: %v", ids(fs))
	}
	f := hasRule(d.Match([]byte(signals+"$x = '"+packed+"';"), signatures.KindPHP), detect.ScoreRule.ID)
	if f == nil {
		t.Fatal("signals plus statistics not flagged")
	}
	if !strings.HasPrefix(f.Snippet, "score 12:") || strings.Count(f.Snippet, "SG.Stats.") != 1 {
		t.Errorf("snippet %q: want score 12 with one statistic", f.Snippet)
	}
}

// TestDisableOwnRules: --disable-rule reaches the score and statistics
// rules, and changes the version a cache keys on.
func TestDisableOwnRules(t *testing.T) {
	_, e := defaults(t)
	src := []byte("<?php @error_reporting(0); @set_time_limit(0); echo php_uname(); if (md5($_COOKIE['k']) != '0123456789abcdef0123456789abcdef') { exit; } echo file_get_contents($_GET['f']);")
	on := newDetector(t, e, detect.Options{})
	off := newDetector(t, e, detect.Options{Disable: []string{"SG.PHP.Behaviour.*"}})
	if hasRule(on.Match(src, signatures.KindPHP), detect.ScoreRule.ID) == nil {
		t.Fatal("not scored")
	}
	if fs := off.Match(src, signatures.KindPHP); len(fs) > 0 {
		t.Errorf("scoring disabled, still flagged: %v", ids(fs))
	}
	versions := map[string]bool{on.Version(): true, off.Version(): true, newDetector(t, e, detect.Options{NoDecode: true}).Version(): true}
	if len(versions) != 3 {
		t.Errorf("versions do not tell the configurations apart: %v", versions)
	}
	if _, err := detect.New(e, detect.Options{Disable: []string{"["}}); err == nil {
		t.Error("bad glob accepted")
	}
}
