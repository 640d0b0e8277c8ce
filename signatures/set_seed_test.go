package signatures

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/testenv"
)

const testTOML = `
[[rule]]
id = "SG.Test.EvalPost"
name = "eval of POST data"
category = "shell"
literals = ["eval($_post"]
regex = '(?i)eval\(\$_POST\[[^]]+\]\)'
true_positives = ["<?php eval($_POST['x']); ?>"]
false_positives = ["<?php echo 'eval is evil'; ?>"]
`

// seedSources reads the three seed files plus a small TOML source.
func seedSources(t *testing.T) []Source {
	t.Helper()
	srcs := []Source{{Name: "test.toml", Format: FormatTOML, Data: []byte(testTOML)}}
	for _, f := range []string{"fingerprints.txt", "backdoors.re", "shelldetect.db"} {
		src, err := ReadSource(testenv.Shared(t, "seed-sigs/"+f))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	return srcs
}

func TestCompileSeeds(t *testing.T) {
	srcs := seedSources(t)
	set, err := Compile(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 24 + 10 + 603; set.Len() != want {
		t.Errorf("%d rules, want %d", set.Len(), want)
	}
	checkRules(t, set.Rules())
	for _, si := range set.Sources() {
		t.Logf("%s %s: %d rules", si.Format, si.Name, si.Rules)
	}
	again, err := Compile(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	if again.Version() != set.Version() {
		t.Errorf("same sources, versions %s and %s", set.Version(), again.Version())
	}
}

func TestStoreReloadSeeds(t *testing.T) {
	srcs := seedSources(t)
	var st Store
	first, err := st.Reload(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	v1 := first.Version()

	// Same content, fresh copies: same version.
	same := make([]Source, len(srcs))
	for i, s := range srcs {
		same[i] = Source{Name: s.Name, Format: s.Format, Data: append([]byte(nil), s.Data...)}
	}
	if s, err := st.Reload(same...); err != nil || s.Version() != v1 {
		t.Fatalf("reload of identical content: version %v, err %v; want %s", s.Version(), err, v1)
	}

	// One malformed file: the reload fails, the previous set stays.
	cases := []struct {
		name string
		idx  int
		data []byte
	}{
		{"fingerprints", 1, []byte("abcd\nab\n")},
		{"backdoors", 2, []byte("abc(\n")},
		{"shelldetect", 3, []byte("YTox!\n")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := append([]Source(nil), srcs...)
			bad[c.idx].Data = c.data
			cur, err := st.Reload(bad...)
			if err == nil {
				t.Fatal("malformed source accepted")
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != srcs[c.idx].Name {
				t.Errorf("error %v does not name %s", err, srcs[c.idx].Name)
			}
			if cur == nil || cur.Version() != v1 || st.Current().Version() != v1 {
				t.Errorf("previous set not kept")
			}
		})
	}

	// Changed content: a new version.
	changed := append([]Source(nil), srcs...)
	changed[1].Data = append(append([]byte(nil), srcs[1].Data...), "another fingerprint\n"...)
	s, err := st.Reload(changed...)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version() == v1 || st.Current().Version() != s.Version() {
		t.Errorf("changed content kept version %s", v1)
	}
}

func TestSeedFilesReadable(t *testing.T) {
	// ReadSource must pick the right format for the seed file names.
	for f, want := range map[string]Format{"fingerprints.txt": FormatFingerprints, "backdoors.re": FormatBackdoors, "shelldetect.db": FormatShellDetect} {
		p := testenv.Shared(t, "seed-sigs/"+f)
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
		if got, err := DetectFormat(p); got != want || err != nil {
			t.Errorf("%s: format %s %v, want %s", f, got, err, want)
		}
	}
}

// knownBenignHits lists the Shell-Detector rules known to hit a file of
// the benign corpus, with the file's base name. The signature is generic
// code that shell and legitimate library share; Shell-Detector's own method
// (the key in the file's base64) flags the same file.
var knownBenignHits = map[string]string{
	// $_SERVER['DOCUMENT_ROOT'] = str_replace( '\\', '/', ...
	"SD.255.phpfilemanager": "tcpdf_autoconfig.php",
}

// TestSeedsBenign runs the seed rules over the benign corpus of real PHP
// applications: Shell-Detector's decoded literals must not hit (except the
// known hits above); hits of spam-gear's own rules are only logged.
func TestSeedsBenign(t *testing.T) {
	if testing.Short() {
		t.Skip("benign corpus scan in -short mode")
	}
	dir := testenv.Benign(t)
	set, err := Compile(seedSources(t)[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	var sd, custom []*Rule
	for _, r := range set.Rules() {
		if r.Engine == EngineDetector {
			sd = append(sd, r)
		} else {
			custom = append(custom, r)
		}
	}
	idx := newStrideIndex(sd)
	files, size, customHits := 0, 0, 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.HasSuffix(path, ".php") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		size += len(b)
		for _, r := range idx.matches(b) {
			if r.Category.ReportOnly() {
				t.Logf("report-only hit: %s %s", r.ID, path)
			} else if knownBenignHits[r.ID] == filepath.Base(path) {
				t.Logf("known false positive: %s %s", r.ID, path)
			} else {
				t.Errorf("false positive: %s %s", r.ID, path)
			}
		}
		for _, r := range custom {
			if _, _, ok := r.Match(b); ok {
				customHits++
				t.Logf("spam-gear rule hit: %s %s", r.ID, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d benign .php files, %d MB; %d hits of spam-gear's own rules", files, size>>20, customHits)
}

// strideIndex finds which rules' literals (all at least stride+8 bytes,
// case-sensitive) occur in a buffer by looking up only the 8 bytes at every
// stride-th offset: each occurrence covers one such offset.
type strideIndex map[uint64][]strideEntry

type strideEntry struct {
	rule *Rule
	lit  []byte
	off  int // where the looked-up 8 bytes sit in lit
}

const stride = 32

func newStrideIndex(rules []*Rule) strideIndex {
	idx := strideIndex{}
	for _, r := range rules {
		for _, l := range r.Literals {
			if len(l.Text) < stride+8 || l.NoCase {
				panic("literal too short or case-insensitive for the stride index")
			}
			for o := 0; o < stride; o++ {
				k := binary.LittleEndian.Uint64(l.Text[o:])
				idx[k] = append(idx[k], strideEntry{r, l.Text, o})
			}
		}
	}
	return idx
}

// matches returns the rules with a literal in b (each once).
func (idx strideIndex) matches(b []byte) []*Rule {
	var out []*Rule
	for p := 0; p+8 <= len(b); p += stride {
		for _, e := range idx[binary.LittleEndian.Uint64(b[p:])] {
			s := p - e.off
			if s >= 0 && bytes.HasPrefix(b[s:], e.lit) && !slices.Contains(out, e.rule) {
				out = append(out, e.rule)
			}
		}
	}
	return out
}

func TestStrideIndex(t *testing.T) {
	lit := []byte(strings.Repeat("0123456789", 5))
	r := &Rule{ID: "x", Literals: []Literal{{Text: lit}}}
	idx := newStrideIndex([]*Rule{r})
	for pre := 0; pre < 80; pre++ {
		b := append(bytes.Repeat([]byte{'-'}, pre), lit...)
		if got := idx.matches(b); len(got) != 1 {
			t.Errorf("prefix %d: %d matches", pre, len(got))
		}
		if got := idx.matches(b[:len(b)-1]); len(got) != 0 {
			t.Errorf("prefix %d, truncated: %d matches", pre, len(got))
		}
	}
}

func TestSetWithout(t *testing.T) {
	src := Source{Name: "a.toml", Format: FormatTOML, Data: []byte(`
[[rule]]
id = "A.One"
literals = ["aaaa"]
[[rule]]
id = "A.Two"
literals = ["bbbb"]
[[rule]]
id = "B.One"
literals = ["cccc"]
`)}
	set, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	less, n, err := set.Without([]string{"A.*"})
	if err != nil || n != 2 || less.Len() != 1 || less.Rules()[0].ID != "B.One" {
		t.Fatalf("Without: %v %d %v", less, n, err)
	}
	if less.Version() == set.Version() {
		t.Error("version unchanged after dropping rules")
	}
	if _, _, err := set.Without([]string{"["}); err == nil {
		t.Error("bad glob accepted")
	}
	same, n, _ := set.Without(nil)
	if same != set || n != 0 {
		t.Error("Without(nil) changed the set")
	}
}
