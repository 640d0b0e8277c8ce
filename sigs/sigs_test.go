package sigs_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/spamgear/spamgear/detect"
	"github.com/spamgear/spamgear/internal/testenv"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/sigs"
)

func loadSet(t testing.TB) *signatures.Set {
	t.Helper()
	set, err := signatures.Compile(sigs.Sources()...)
	if err != nil {
		t.Fatalf("default rules do not compile: %v", err)
	}
	return set
}

// trivialLiteral matches literals made only of white space and punctuation.
var trivialLiteral = regexp.MustCompile(`^[\s[:punct:]]*$`)

var validCategory = map[signatures.Category]bool{
	signatures.CategoryShell: true, signatures.CategoryMalicious: true, signatures.CategorySuspicious: true,
}

func TestSources(t *testing.T) {
	srcs := sigs.Sources()
	if len(srcs) == 0 {
		t.Fatal("no embedded rule files")
	}
	embedded, err := filepath.Glob("*.toml")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range srcs {
		if !strings.HasPrefix(s.Name, "embedded:") || !strings.HasSuffix(s.Name, ".toml") {
			t.Errorf("source name %q: want embedded:FILE.toml", s.Name)
		}
		if s.Format != signatures.FormatTOML {
			t.Errorf("%s: format %q, want toml", s.Name, s.Format)
		}
		if len(s.Data) == 0 {
			t.Errorf("%s: empty", s.Name)
		}
		names[strings.TrimPrefix(s.Name, "embedded:")] = true
	}
	for _, f := range embedded {
		if !names[f] {
			t.Errorf("%s is in the package directory but not returned by Sources", f)
		}
	}
	// Fixed order: two calls agree.
	again := sigs.Sources()
	for i := range srcs {
		if srcs[i].Name != again[i].Name {
			t.Fatalf("Sources order is not stable: %s vs %s", srcs[i].Name, again[i].Name)
		}
	}
}

// TestEmbeddedUpToDate: the binary embeds compressed copies of the rule
// files; they must be the files in this directory.
func TestEmbeddedUpToDate(t *testing.T) {
	for _, src := range sigs.Sources() {
		name := strings.TrimPrefix(src.Name, "embedded:")
		disk, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(disk, src.Data) {
			t.Errorf("sigs/%s differs from its embedded copy: run 'go generate ./sigs'", name)
		}
	}
}

func TestRegistry(t *testing.T) {
	set := loadSet(t)
	if set.Len() == 0 {
		t.Fatal("no rules")
	}
	ids := map[string]string{}
	perFile := map[string]int{}
	for _, r := range set.Rules() {
		if prev, dup := ids[r.ID]; dup {
			t.Errorf("rule %s at %s duplicates %s", r.ID, r.Source, prev)
		}
		ids[r.ID] = r.Source
		perFile[strings.SplitN(r.Source, ":", 3)[1]]++
		if !strings.HasPrefix(r.ID, "SG.") {
			t.Errorf("%s: default rule IDs start with SG.", r.ID)
		}
		if len(r.Description) < 10 {
			t.Errorf("%s: needs a description", r.ID)
		}
		if r.Name != r.ID {
			t.Errorf("%s: printed name %q: default rules print their ID", r.ID, r.Name)
		}
		if !validCategory[r.Category] {
			t.Errorf("%s: bad category %v", r.ID, r.Category)
		}
		if len(r.TruePositives) == 0 {
			t.Errorf("%s: no true_positives", r.ID)
		}
		if len(r.FalsePositives) == 0 {
			t.Errorf("%s: no false_positives", r.ID)
		}
		if len(r.Literals) == 0 {
			t.Errorf("%s: no literals", r.ID)
		}
		for _, l := range r.Literals {
			if len(l.Text) < signatures.MinLiteralLen || trivialLiteral.Match(l.Text) {
				t.Errorf("%s: trivial literal %q", r.ID, l.Text)
			}
		}
		if r.Confirm != nil && r.Confirm.Backtracking() {
			t.Errorf("%s: regex needs the backtracking engine; default rules must be RE2 (linear time)", r.ID)
		}
		if r.Clean != nil && r.Clean.Backtracking() {
			t.Errorf("%s: clean regex needs the backtracking engine", r.ID)
		}
		if r.Clean != nil && r.Category.ReportOnly() {
			t.Errorf("%s: a suspicious (report-only) rule must not clean", r.ID)
		}
		// Every true positive must also be removable by the clean regex.
		if r.Clean != nil {
			for _, tp := range r.TruePositives {
				if _, _, ok := r.Clean.Find([]byte(tp)); !ok {
					t.Errorf("%s: clean regex does not match true positive %q", r.ID, tp)
				}
			}
		}
		// Validate is run by ParseTOML; run it again to keep the
		// guarantee visible here.
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", r.ID, err)
		}
	}
	files := make([]string, 0, len(perFile))
	for f := range perFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		t.Logf("%-20s %3d rules", f, perFile[f])
	}
	t.Logf("%-20s %3d rules", "total", set.Len())
}

// TestSnippetsCrossRules checks every rule's true positives against the
// whole set: each must be found by its own rule (Validate proves that) and
// no false positive of any rule may be flagged by another decisive rule of
// the set (weak signals and markers do not flag a file alone; package
// detect's tests check the scores of snippets).
func TestSnippetsCrossRules(t *testing.T) {
	set := loadSet(t)
	for _, r := range set.Rules() {
		for _, fp := range r.FalsePositives {
			for _, other := range set.Rules() {
				if other.Signal() {
					continue
				}
				if s, e, ok := other.Match([]byte(fp)); ok {
					t.Errorf("false positive of %s is flagged by %s: %q (match %q)", r.ID, other.ID, fp, fp[s:e])
				}
			}
		}
	}
}

// hit is one rule matching one file (or, with layers, a decoded layer of
// it; start and end are then offsets in that layer).
type hit struct {
	rule       *signatures.Rule
	start, end int
	layers     []string
	snippet    string
}

// show renders what h matched in b, for a log line.
func (h hit) show(b []byte) string {
	if h.layers != nil {
		return fmt.Sprintf("%q in layer %s", h.snippet, strings.Join(h.layers, ">"))
	}
	return excerpt(b, h.start, h.end)
}

// phpExts are the extensions the scanner treats as PHP.
var phpExts = map[string]bool{
	".php": true, ".php3": true, ".php4": true, ".php5": true, ".php6": true, ".php7": true, ".php8": true,
	".phtml": true, ".pht": true, ".inc": true,
}

// matchAll runs the production pipeline over content as a file of the
// given kinds: the matcher (prefilter, then regexes) built from rules,
// decoding and scoring (package detect). Markers and weak signals below
// the score threshold are not hits.
func matchAll(set *signatures.Set, content []byte, kinds signatures.Kind) []hit {
	var out []hit
	d, err := detect.New(engineFor(set), detect.Options{})
	if err != nil {
		panic(err)
	}
	for _, f := range d.Match(content, kinds) {
		out = append(out, hit{f.Rule, f.Offset, f.End, f.Layers, f.Snippet})
	}
	return out
}

var (
	enginesMu sync.Mutex
	engines   = map[*signatures.Set]*matcher.Engine{}
)

// engineFor builds the matcher for a set once per test binary.
func engineFor(set *signatures.Set) *matcher.Engine {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	e := engines[set]
	if e == nil {
		e = matcher.New(set, matcher.Options{})
		engines[set] = e
	}
	return e
}

func ids(hits []hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.rule.ID
	}
	return out
}

// excerpt returns the matched bytes, shortened and quoted for a log line.
func excerpt(b []byte, s, e int) string {
	const max = 160
	if e-s > max {
		return fmt.Sprintf("%q…(%d bytes)", b[s:s+max], e-s)
	}
	return fmt.Sprintf("%q", b[s:e])
}

// walkFiles returns every regular file under dir, sorted.
func walkFiles(t testing.TB, dir string, keep func(path string) bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && (keep == nil || keep(p)) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestMalwarePMF: every sample of php-malware-finder's set is found.
func TestMalwarePMF(t *testing.T) {
	dir := testenv.Shared(t, "corpus/malicious/pmf")
	set := loadSet(t)
	files := walkFiles(t, dir, nil)
	if len(files) == 0 {
		t.Fatalf("no files under %s", dir)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		hits := matchAll(set, b, signatures.KindAny)
		if len(hits) == 0 {
			t.Errorf("%-40s NOT DETECTED", rel)
			continue
		}
		t.Logf("%-40s %s", rel, strings.Join(ids(hits), " "))
	}
	t.Logf("%d files", len(files))
}

// TestMalwareBartblaze measures, without asserting, how many of the
// bartblaze PHP backdoors the default rules find.
func TestMalwareBartblaze(t *testing.T) {
	dir := testenv.Shared(t, "corpus/malicious/bartblaze")
	set := loadSet(t)
	total, found := 0, 0
	perRule := map[string]int{}
	for _, sub := range []string{"Obfuscated", "Deobfuscated"} {
		files := walkFiles(t, filepath.Join(dir, sub), func(p string) bool {
			return strings.EqualFold(filepath.Ext(p), ".php")
		})
		subTotal, subFound := 0, 0
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			subTotal++
			hits := matchAll(set, b, signatures.KindAny)
			if len(hits) > 0 {
				subFound++
			}
			for _, h := range hits {
				perRule[h.rule.ID]++
			}
			if testing.Verbose() && os.Getenv("SPAMGEAR_SIGS_LIST") != "" {
				t.Logf("%-70s %s", sub+"/"+filepath.Base(p), strings.Join(ids(hits), " "))
			}
		}
		t.Logf("bartblaze %-12s found %d/%d", sub, subFound, subTotal)
		total += subTotal
		found += subFound
	}
	if total == 0 {
		t.Skip("no bartblaze samples")
	}
	t.Logf("bartblaze total        found %d/%d (%.1f%%)", found, total, 100*float64(found)/float64(total))
	if testing.Verbose() {
		rules := make([]string, 0, len(perRule))
		for id := range perRule {
			rules = append(rules, id)
		}
		sort.Slice(rules, func(i, j int) bool { return perRule[rules[i]] > perRule[rules[j]] })
		for _, id := range rules {
			t.Logf("  %-45s %3d files", id, perRule[id])
		}
	}
}

// TestBenignCorpus: no default rule may flag any file of real PHP
// applications (Debian's wordpress and phpmyadmin packages, unpacked).
func TestBenignCorpus(t *testing.T) {
	dir := testenv.Benign(t)
	set := loadSet(t)
	files := walkFiles(t, dir, nil)
	if len(files) == 0 {
		t.Fatalf("benign corpus %s is empty", dir)
	}
	type result struct {
		path  string
		php   bool
		bytes int
		hits  []hit
		body  []byte
		lits  map[string]bool
		err   error
	}
	// Literal statistics: in how many PHP files does each literal occur.
	lits := map[string]string{} // folded text -> rule ID
	for _, r := range set.Rules() {
		for _, l := range r.Literals {
			lits[string(signatures.FoldASCII(l.Text))] = r.ID
		}
	}
	jobs := make(chan string)
	results := make(chan result)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				b, err := os.ReadFile(p)
				if err != nil {
					results <- result{path: p, err: err}
					continue
				}
				k := matcher.KindsOf(p, b)
				res := result{path: p, php: k&signatures.KindPHP != 0, bytes: len(b), hits: matchAll(set, b, k)}
				if len(res.hits) > 0 {
					res.body = b
				}
				if res.php {
					folded := signatures.FoldASCII(b)
					res.lits = map[string]bool{}
					for l := range lits {
						if bytes.Contains(folded, []byte(l)) {
							res.lits[l] = true
						}
					}
				}
				results <- res
			}
		}()
	}
	go func() {
		for _, p := range files {
			jobs <- p
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	var nPHP, nBytes, nFP int
	litFiles := map[string]int{}
	for res := range results {
		if res.err != nil {
			t.Errorf("%s: %v", res.path, res.err)
			continue
		}
		nBytes += res.bytes
		if res.php {
			nPHP++
		}
		for l := range res.lits {
			litFiles[l]++
		}
		rel, _ := filepath.Rel(dir, res.path)
		for _, h := range res.hits {
			nFP++
			t.Errorf("FALSE POSITIVE %s: rule %s (%s) matched %s", rel, h.rule.ID, h.rule.Source, h.show(res.body))
		}
	}
	t.Logf("benign corpus %s: %d files (%d PHP), %.1f MB, %d false positives", dir, len(files), nPHP, float64(nBytes)/1e6, nFP)
	type lf struct {
		lit string
		n   int
	}
	var top []lf
	for l, n := range litFiles {
		top = append(top, lf{l, n})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n || top[i].n == top[j].n && top[i].lit < top[j].lit })
	for i, x := range top {
		if i == 15 {
			break
		}
		t.Logf("  literal %-28q in %4d PHP files (%s)", x.lit, x.n, lits[x.lit])
	}
}

// TestTechniqueVariants checks that the rules describe techniques: short,
// harmless re-wrappings of common shell idioms (other spacing, case,
// decoders, argument order) are found, and idioms of real applications
// (template engines that eval compiled code, crypto libraries, mailers,
// upload handlers) are not.
func TestTechniqueVariants(t *testing.T) {
	set := loadSet(t)
	found := []string{
		`<?php EVAL ( gzuncompress ( base64_decode ( 'eJzLSM3JyQcABiwCFQ==' ) ) ) ;`,
		`<?php @assert(str_rot13(base64_decode($_COOKIE["k"])));`,
		`<?php $a = $_REQUEST; @$a["x"]($a["y"]);`,
		`<?php echo shell_exec(urldecode($_GET['q']));`,
		`<?php $c = $_POST['c']; eval($c);`,
		`<?php call_user_func_array($_GET["f"], [$_GET["a"]]);`,
		`<?php uasort($x, $_GET['cb']);`,
		`<?php $e = "\x65\x76\x61\x6c\x28\x24\x5f\x50\x4f\x53\x54";`,
		`<?php preg_replace("#x#ie", $_REQUEST['r'], "x");`,
		`<?php $k = gzinflate(str_rot13(base64_decode("rUl6QuNTEP5cfsWyjc62DhyuSKUTYAQiQS9FVnUc+gWQ5dgTspzf5F2To4j")));`,
		`<?php $p = create_function('$x', base64_decode('ZWNobyAkeDs='));`,
		`<?php register_shutdown_function("assert", $_POST['z']);`,
		"<?php echo `{$_REQUEST['c']}`;",
		`<?php include($_REQUEST['inc']);`,
		`<?php ${"\x47\x4cOBALS"}['a'] = 1;`,
		"AddHandler application/x-httpd-php .png",
	}
	clean := []string{
		`<?php eval('?>' . $this->compiled);`,
		`<?php eval('$func = function ($x) { ' . $code . '};');`,
		`<?php return eval('return ' . $expr . ';');`,
		`<?php $ids = array_map('absint', $_POST['ids']);`,
		`<?php call_user_func_array(array($this, $method), $args);`,
		`<?php $auth = base64_decode(substr($_SERVER['HTTP_AUTHORIZATION'], 6));`,
		`<?php $mail = popen($sendmail . ' -oi -t', 'w');`,
		`<?php exec('which convert', $out, $rc);`,
		`<?php $out = shell_exec('git rev-parse HEAD');`,
		`<?php $s = preg_replace_callback('/\{(\w+)\}/', array($this, 'cb'), $_POST['tpl']);`,
		`<?php $f = $_FILES['file']; move_uploaded_file($f['tmp_name'], $dir . '/' . wp_unique_filename($dir, $f['name']));`,
		`<?php $z = gzinflate(substr($data, 10)); $x = base64_decode($token);`,
		`<?php $hex = $c[0] . $c[0] . $c[1] . $c[1] . $c[2] . $c[2];`,
		`<?php $data = unserialize(base64_decode($_COOKIE['prefs']));`,
		`<?php foreach ($_POST as $k => $v) { $clean[$k] = sanitize_text_field($v); }`,
		`<?php ini_set('error_log', '/var/log/app.log');`,
		`<?php if (function_exists('exec')) { exec($cmd, $output); }`,
		`<?php $headers = getallheaders(); $token = $headers['X-Token'];`,
		"AddType application/x-httpd-php .php .phtml",
	}
	for _, s := range found {
		if hits := matchAll(set, []byte(s), signatures.KindAny); len(hits) == 0 {
			t.Errorf("variant not detected: %q", s)
		}
	}
	for _, s := range clean {
		for _, h := range matchAll(set, []byte(s), signatures.KindAny) {
			t.Errorf("legitimate idiom flagged by %s: %q (match %s)", h.rule.ID, s, h.show([]byte(s)))
		}
	}
}
