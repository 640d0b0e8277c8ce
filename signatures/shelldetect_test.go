package signatures

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/testenv"
)

// phpStr serializes s as PHP's serialize() does.
func phpStr(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }

// phpArray serializes key, value, key, value... (already serialized).
func phpArray(kv ...string) string {
	return fmt.Sprintf("a:%d:{%s}", len(kv)/2, strings.Join(kv, ""))
}

// sdEncode base64-encodes a serialized array in 76-character lines, as the
// real database is.
func sdEncode(ser string) []byte {
	enc := base64.StdEncoding.EncodeToString([]byte(ser))
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\n")
	return b.Bytes()
}

const testShell = "<?php\n// a test shell, harmless\nif (isset($_REQUEST['c'])) { system($_REQUEST['c']); }\n" +
	"echo 'uploader ready: ' . php_uname() . \"\\n\";\n?>\n"

// keyAt returns the 64-character slice of base64(content) at off, as
// Shell-Detector stores fingerprints.
func keyAt(content string, off int) string {
	return base64.StdEncoding.EncodeToString([]byte(content))[off : off+64]
}

// binaryBytes is deterministic pseudo-random content.
func binaryBytes(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func TestDecodeSDKeyAlignments(t *testing.T) {
	for off := 0; off < 12; off++ {
		t.Run(fmt.Sprint(off), func(t *testing.T) {
			lits, class, err := decodeSDKey([]byte(keyAt(testShell, off)))
			if err != nil {
				t.Fatal(err)
			}
			if class != sdKeyPrintable || len(lits) != 1 {
				t.Fatalf("class %d, %d literals", class, len(lits))
			}
			if !strings.Contains(testShell, string(lits[0].Text)) || len(lits[0].Text) < 45 {
				t.Errorf("literal %q (%d bytes) not in the shell", lits[0].Text, len(lits[0].Text))
			}
		})
	}
	bin := binaryBytes(200)
	binKey := base64.StdEncoding.EncodeToString(bin)[37 : 37+64]
	lits, class, err := decodeSDKey([]byte(binKey))
	if err != nil {
		t.Fatal(err)
	}
	if class != sdKeyAmbiguous || len(lits) != 4 {
		t.Fatalf("binary key: class %d, %d literals, want all four alignments", class, len(lits))
	}
	if !slices.ContainsFunc(lits, func(l Literal) bool { return bytes.Contains(bin, l.Text) }) {
		t.Errorf("no alignment of the binary key is in the content")
	}
	// A key ending in the real padding decodes its last bytes.
	tail := base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!"))
	lits, _, err = decodeSDKey([]byte(tail[len(tail)-64:]))
	if err != nil || len(lits) != 1 || !strings.HasSuffix(string(lits[0].Text), "XYZ!") {
		t.Errorf("padded key: %s %v", fmtLits(lits), err)
	}
	// bb: keys are raw bytes, aligned.
	lits, class, err = decodeSDKey([]byte("bb:" + base64.StdEncoding.EncodeToString([]byte("\x00\x01binary\xff"))))
	if err != nil || class != sdKeyRaw || len(lits) != 1 || string(lits[0].Text) != "\x00\x01binary\xff" {
		t.Errorf("bb: key: %s class %d %v", fmtLits(lits), class, err)
	}
}

func TestParseShellDetect(t *testing.T) {
	k1, k2 := keyAt(testShell, 5), keyAt(testShell, 30)
	bin := binaryBytes(120)
	kBin := base64.StdEncoding.EncodeToString(bin)[10:74]
	valid := phpArray(
		phpStr(k1), phpStr("c99[5][0][php]"),
		phpStr("version"), phpStr("1405674947"),
		phpStr(k2), phpStr("perl shell/x[1][1][pl]"),
		phpStr("bb:"+base64.StdEncoding.EncodeToString([]byte("<?php $_=\"\";"))), phpStr("dangerous[0][2][PHP]"),
		phpStr(kBin), phpStr("odd\x1b[1]name[0][0][vb]"),
	)
	t.Run("valid", func(t *testing.T) {
		rules, err := ParseShellDetect("x.db", sdEncode(valid))
		if err != nil {
			t.Fatal(err)
		}
		checkRules(t, rules)
		type want struct {
			id, name string
			cat      Category
			sev      Severity
			kinds    Kind
			content  string
		}
		wants := []want{
			{"SD.0.c99", "c99", CategoryShell, SeverityHigh, KindPHP, testShell},
			{"SD.2.perl_shell_x", "perl shell/x", CategoryMalicious, SeverityHigh, KindPerl, testShell},
			{"SD.3.dangerous", "dangerous", CategorySuspicious, SeverityLow, KindPHP, "<?php $_=\"\";"},
			{"SD.4.odd__1_name", "odd?[1]name", CategoryShell, SeverityHigh, KindAny, string(bin)},
		}
		if len(rules) != len(wants) {
			t.Fatalf("got %d rules, want %d", len(rules), len(wants))
		}
		for i, w := range wants {
			r := rules[i]
			if r.ID != w.id || r.Name != w.name || r.Category != w.cat || r.Severity != w.sev || r.Kinds != w.kinds || r.Engine != EngineDetector {
				t.Errorf("rule %d: %s %q %v %v %v %s, want %+v", i, r.ID, r.Name, r.Category, r.Severity, r.Kinds, r.Engine, w)
			}
			if _, _, ok := r.Match([]byte("prefix\n" + w.content + "\nsuffix")); !ok {
				t.Errorf("rule %s does not match its content", r.ID)
			}
			for _, l := range r.Literals {
				if l.NoCase {
					t.Errorf("rule %s: case-insensitive literal", r.ID)
				}
			}
		}
		if v, err := ShellDetectVersion(sdEncode(valid)); v != "1405674947" || err != nil {
			t.Errorf("version %q %v", v, err)
		}
	})
	t.Run("source lines", func(t *testing.T) {
		ser := phpArray(phpStr(k1), phpStr(strings.Repeat("n", 300)+"[0][0][php]"), phpStr(k2), phpStr("b[0][0][php]"))
		data := sdEncode(ser)
		rules, err := ParseShellDetect("x.db", data)
		if err != nil {
			t.Fatal(err)
		}
		// Find the lines by searching the base64 for an aligned part of each key.
		for i, r := range rules {
			key := []string{k1, k2}[i]
			off := strings.Index(ser, key)
			enc := base64.StdEncoding.EncodeToString([]byte(ser))
			want := 1 + (off/3*4)/76
			if !strings.Contains(enc, base64.StdEncoding.EncodeToString([]byte(ser[off/3*3:off/3*3+3]))) {
				t.Fatal("test broken")
			}
			if r.Source != fmt.Sprintf("x.db:%d", want) {
				t.Errorf("rule %d: Source %q, want line %d", i, r.Source, want)
			}
			if want == 1 && i == 1 {
				t.Error("test should put the second key on a later line")
			}
		}
	})
	t.Run("scalars", func(t *testing.T) {
		ser := "a:6:{i:7;N;s:7:\"version\";i:42;s:1:\"x\";b:1;i:+5;s:3:\"a\"b\";i:-3;d:-INF;s:4:\"k\";;\";d:1.5e3;}"
		db, err := readShellDetect("x.db", sdEncode(ser))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range db.entries {
			got = append(got, fmt.Sprintf("%c%s=%c%s", e.key.kind, e.key.s, e.val.kind, e.val.s))
		}
		want := []string{"i7=N", "sversion=i42", "sx=b1", "i+5=sa\"b", "i-3=d-INF", "sk\";;=d1.5e3"}
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	errTests := []struct {
		name string
		data []byte
		err  string
	}{
		{"empty", nil, "x.db: empty database"},
		{"only newlines", []byte("\n\r\n"), "x.db: empty database"},
		{"bad base64 char", []byte("YTox\nOn!7fQ==\n"), "x.db:2: base64: invalid character '!' at column 3"},
		{"data after padding", []byte("YTo=\nYTox\n"), "x.db:2: base64: data after '=' padding"},
		{"truncated base64", []byte("YTox\nY\n\n"), "x.db:2: base64: truncated"},
		{"binary byte", []byte("YTox\xff\n"), "x.db:1: base64: invalid character byte 0xff at column 5"},
		{"not an array", sdEncode(`s:1:"a";`), "x.db: decoded byte 0: want 'a' (a serialized array), got 's'"},
		{"bad size", sdEncode(`a:x:{}`), "x.db: decoded byte 2: want array size"},
		{"negative size", sdEncode(`a:-1:{}`), "x.db: decoded byte 4: array size -1 is negative"},
		{"huge size", sdEncode(`a:999999999999999:{}`), "x.db: decoded byte 19: array declares 999999999999999 entries, found 0"},
		{"size overflow", sdEncode(`a:99999999999999999999999:{}`), "x.db: decoded byte 2: want array size"},
		{"too few entries", sdEncode(`a:2:{s:1:"a";s:1:"b";}`), "x.db: decoded byte 21: array declares 2 entries, found 1"},
		{"too many entries", sdEncode(`a:1:{s:1:"a";s:1:"b";s:1:"c";s:1:"d";}`), "x.db: decoded byte 21: want '}' to close the array of 1 entries, got 's'"},
		{"missing semicolon after string", sdEncode(`a:1:{s:1:"a"x`), "x.db: decoded byte 12: want ';' after string, got 'x'"},
		{"string too short", sdEncode(`a:1:{s:3:"a";s:1:"b";}`), "x.db: decoded byte 13: want '\"' after string, got 's'"},
		{"lying string length", sdEncode(`a:1:{s:99999999:"a";}`), "x.db: decoded byte 17: string length 99999999 does not fit in the 4 bytes left"},
		{"end of data", sdEncode(`a:1:{s:1:"a";`), "x.db: decoded byte 13: want array value, got end of data"},
		{"nested array", sdEncode(`a:1:{s:1:"a";a:0:{}}`), "x.db: decoded byte 13: want array value, got 'a:'"},
		{"float key", sdEncode(`a:1:{d:1.5;s:1:"a";}`), "x.db: decoded byte 5: array key is a float"},
		{"bad float", sdEncode(`a:1:{s:1:"a";d:x;}`), "x.db: decoded byte 15: want a float"},
		{"bad bool", sdEncode(`a:1:{s:1:"a";b:2;}`), "x.db: decoded byte 15: want '0' or '1'"},
		{"unknown type", sdEncode(`a:1:{s:1:"a";z:2;}`), "x.db: decoded byte 13: want array value (s:, i:, d:, b: or N;), got 'z'"},
		{"trailing data", sdEncode(`a:0:{}junk`), "x.db: decoded byte 6: trailing data after the array"},
		{"unknown category", sdEncode(phpArray(phpStr(k1), phpStr("c99[1][3][php]"))), "x.db:1: entry 0 "},
		{"bad value", sdEncode(phpArray(phpStr(k1), phpStr("c99[1][0]"))), "x.db:1: entry 0 "},
		{"empty name", sdEncode(phpArray(phpStr(k1), phpStr("[1][0][php]"))), "x.db:1: entry 0 "},
		{"value not a string", sdEncode(phpArray(phpStr(k1), "i:5;")), "x.db:1: entry 0 "},
		{"key not base64", sdEncode(phpArray(phpStr("not base64 at all, no no no"), phpStr("c99[1][0][php]"))), "x.db:1: entry 0 "},
		{"key too short", sdEncode(phpArray(phpStr("YWJj"), phpStr("c99[1][0][php]"))), "x.db:1: entry 0 "},
		{"integer key", sdEncode(phpArray("i:12;", phpStr("c99[1][0][php]"))), "x.db:1: entry 0 "},
		{"bad bb key", sdEncode(phpArray(phpStr("bb:!!"), phpStr("c99[1][0][php]"))), "x.db:1: entry 0 "},
		{"second entry", sdEncode(phpArray(phpStr(k1), phpStr("c99[1][0][php]"), phpStr(k2), phpStr("c99[1][9][php]"))), "x.db:2: entry 1 "},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseShellDetect("x.db", tt.data)
			if rules != nil {
				t.Errorf("rules returned with the error")
			}
			assertParseError(t, err, tt.err)
		})
	}
}

func TestShellDetectVersion(t *testing.T) {
	tests := []struct {
		name, ser, want, err string
	}{
		{"string", phpArray(phpStr("version"), phpStr("123")), "123", ""},
		{"integer", phpArray(phpStr("version"), "i:456;"), "456", ""},
		{"last wins", phpArray(phpStr("version"), "i:1;", phpStr("version"), "i:2;"), "2", ""},
		{"missing", phpArray(phpStr("x"), phpStr("y")), "", "shelldetect.db: no version entry"},
		{"null", phpArray(phpStr("version"), "N;"), "", "shelldetect.db:1: version is null"},
		{"broken", "a:1:{", "", "shelldetect.db: decoded byte 5: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ShellDetectVersion(sdEncode(tt.ser))
			if tt.err != "" {
				assertParseError(t, err, tt.err)
				return
			}
			if err != nil || v != tt.want {
				t.Errorf("got %q %v, want %q", v, err, tt.want)
			}
		})
	}
}

func TestSeedShellDetect(t *testing.T) {
	path := testenv.Shared(t, "seed-sigs/shelldetect.db")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := readShellDetect("shelldetect.db", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.entries) != 604 {
		t.Errorf("%d entries, want 604", len(db.entries))
	}
	v, err := ShellDetectVersion(data)
	if err != nil || v != "1405674947" {
		t.Errorf("version %q %v, want 1405674947", v, err)
	}
	rules, err := ParseShellDetect("shelldetect.db", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 603 {
		t.Fatalf("%d rules, want 603", len(rules))
	}
	checkRules(t, rules)

	// Measure how the fingerprints decode.
	classes := map[int]int{}
	keyLens := map[int]int{}
	var nLits, minLen, maxLen, sumLen int
	for _, e := range db.entries {
		if e.key.text() == "version" {
			continue
		}
		keyLens[len(e.key.s)]++
		lits, class, err := decodeSDKey(e.key.s)
		if err != nil {
			t.Fatal(err)
		}
		classes[class]++
		for _, l := range lits {
			n := len(l.Text)
			if nLits == 0 || n < minLen {
				minLen = n
			}
			maxLen = max(maxLen, n)
			sumLen += n
			nLits++
		}
	}
	t.Logf("keys %d: printable at exactly one alignment %d, with bytes >= 0x80 allowed %d more, ambiguous (4 literals) %d, bb: %d",
		len(db.entries)-1, classes[sdKeyPrintable], classes[sdKeyHighBytes], classes[sdKeyAmbiguous], classes[sdKeyRaw])
	t.Logf("key lengths %v; literals %d, length min %d max %d mean %.1f", keyLens, nLits, minLen, maxLen, float64(sumLen)/float64(nLits))
	if classes[sdKeyPrintable] < 570 || classes[sdKeyRaw] != 4 {
		t.Errorf("unexpected decoding counts %v", classes)
	}
	cats := map[Category]int{}
	for _, r := range rules {
		cats[r.Category]++
		if r.Engine != EngineDetector || !strings.HasPrefix(r.Source, "shelldetect.db:") {
			t.Errorf("rule %s: engine %s source %s", r.ID, r.Engine, r.Source)
		}
	}
	t.Logf("categories %v; first %s %s, last %s %s", cats, rules[0].ID, rules[0].Source, rules[602].ID, rules[602].Source)
	if rules[602].Source != "shelldetect.db:1063" {
		t.Errorf("last rule at %s, want shelldetect.db:1063", rules[602].Source)
	}
}

// TestShellDetectFindsCorpus searches the decoded literals in the malicious
// corpus, and compares with Shell-Detector's own method (search the keys in
// the base64 encoding of each file).
func TestShellDetectFindsCorpus(t *testing.T) {
	data, err := os.ReadFile(testenv.Shared(t, "seed-sigs/shelldetect.db"))
	if err != nil {
		t.Fatal(err)
	}
	dir := testenv.Shared(t, "corpus/malicious")
	rules, err := ParseShellDetect("shelldetect.db", data)
	if err != nil {
		t.Fatal(err)
	}
	db, err := readShellDetect("shelldetect.db", data)
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for _, e := range db.entries {
		if k := e.key.s; e.key.text() != "version" && !bytes.HasPrefix(k, []byte("bb:")) {
			keys = append(keys, k)
		}
	}
	var lits [][]byte
	for _, r := range rules {
		for _, l := range r.Literals {
			lits = append(lits, l.Text)
		}
	}
	litIndex, keyIndex := newPrefixIndex(lits), newPrefixIndex(keys)
	files, found, foundOrig := 0, 0, 0
	perDir := map[string][2]int{} // top directory → files, found
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		hit := litIndex.containsAny(b)
		rel, _ := filepath.Rel(dir, path)
		top, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		c := perDir[top]
		c[0]++
		if hit {
			found++
			c[1]++
		}
		perDir[top] = c
		if keyIndex.containsAny([]byte(base64.StdEncoding.EncodeToString(b))) {
			foundOrig++
			if !hit {
				t.Errorf("%s: found by Shell-Detector's method but not by decoded literals", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("corpus/malicious: %d files, %d contain a decoded shelldetect literal (Shell-Detector's base64 method: %d); per directory (files, found): %v",
		files, found, foundOrig, perDir)
	if found == 0 {
		t.Error("no file of the malicious corpus contains a decoded literal")
	}
}

// prefixIndex answers "does b contain any of these needles" (the same as
// bytes.Contains for each needle, all at least 8 bytes long) in one pass,
// indexing the needles by their first 8 bytes.
type prefixIndex map[uint64][][]byte

func newPrefixIndex(needles [][]byte) prefixIndex {
	idx := prefixIndex{}
	for _, n := range needles {
		if len(n) < 8 {
			panic("needle shorter than 8 bytes")
		}
		k := binary.LittleEndian.Uint64(n)
		idx[k] = append(idx[k], n)
	}
	return idx
}

func (idx prefixIndex) containsAny(b []byte) bool {
	for i := 0; i+8 <= len(b); i++ {
		for _, n := range idx[binary.LittleEndian.Uint64(b[i:])] {
			if bytes.HasPrefix(b[i:], n) {
				return true
			}
		}
	}
	return false
}

func TestPrefixIndex(t *testing.T) {
	needles := [][]byte{[]byte("abcdefghij"), []byte("abcdefghXY"), []byte("0123456789")}
	idx := newPrefixIndex(needles)
	for _, hay := range []string{"", "abcdefgh", "xxabcdefghXYzz", "0123456789", "abcdefghi", "012345678"} {
		want := false
		for _, n := range needles {
			want = want || bytes.Contains([]byte(hay), n)
		}
		if got := idx.containsAny([]byte(hay)); got != want {
			t.Errorf("%q: got %v, want %v", hay, got, want)
		}
	}
}
