package signatures

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// shellDetectName names the file in errors of ShellDetectVersion.
const shellDetectName = "shelldetect.db"

// ParseShellDetect parses Shell-Detector's shelldetect.db: base64 (with
// line breaks) of a PHP-serialized array fingerprint => "name[version]
// [category][lang]", plus a "version" entry.
//
// Each fingerprint is a slice of the base64 encoding of a whole shell file,
// at an unknown offset. It is decoded at the one of its four alignments
// that gives printable text, so the literal can be searched in the raw file
// at any offset; when no single alignment is printable (binary content),
// all four decodings become alternative literals. A "bb:" fingerprint is
// base64 of raw bytes and is decoded as is. Literals are case-sensitive.
//
// The rule for the entry at position i (counted from 0 in file order, the
// version entry included) has ID "SD.i.NAME" (NAME reduced to
// [A-Za-z0-9._-]) and Source "FILE:LINE", the line of the db where the
// entry's fingerprint starts.
func ParseShellDetect(name string, data []byte) ([]*Rule, error) {
	db, err := readShellDetect(name, data)
	if err != nil {
		return nil, err
	}
	rules := make([]*Rule, 0, len(db.entries))
	for i, e := range db.entries {
		key := e.key.text()
		if key == "version" {
			continue
		}
		line := db.line(e.key.off)
		fail := func(format string, args ...any) error {
			return errAt(name, line, "entry %d (%.24q): %s", i, key, fmt.Sprintf(format, args...))
		}
		if e.val.kind != 's' {
			return nil, fail("value is %s, want a string name[version][category][lang]", e.val.describe())
		}
		sig, err := parseSDValue(e.val.s)
		if err != nil {
			return nil, fail("%v", err)
		}
		lits, _, err := decodeSDKey(e.key.s)
		if err != nil {
			return nil, fail("%v", err)
		}
		r := &Rule{
			ID:       fmt.Sprintf("SD.%d.%s", i, sanitizeID(sig.name)),
			Name:     printableName(sig.name),
			Engine:   EngineDetector,
			Source:   fmt.Sprintf("%s:%d", name, line),
			Category: sig.category,
			Severity: SeverityHigh,
			Literals: lits,
			Kinds:    sig.kinds,
		}
		if sig.category == CategorySuspicious {
			r.Severity = SeverityLow
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// ShellDetectVersion returns the "version" entry of a shelldetect.db.
func ShellDetectVersion(data []byte) (string, error) {
	db, err := readShellDetect(shellDetectName, data)
	if err != nil {
		return "", err
	}
	version, found := "", false
	for _, e := range db.entries {
		if e.key.text() != "version" {
			continue
		}
		switch e.val.kind {
		case 's', 'i', 'd':
			version, found = string(e.val.s), true // the last one wins, as in PHP
		default:
			return "", errAt(shellDetectName, db.line(e.key.off), "version is %s, want a string or number", e.val.describe())
		}
	}
	if !found {
		return "", errAt(shellDetectName, 0, "no version entry")
	}
	return version, nil
}

// sdSignature is a parsed shelldetect.db value.
type sdSignature struct {
	name     string
	category Category
	kinds    Kind
}

// parseSDValue parses "name[version][category][lang]".
func parseSDValue(v []byte) (sdSignature, error) {
	var groups [3]string
	rest := string(v)
	for i := 2; i >= 0; i-- {
		j := strings.LastIndexByte(rest, '[')
		if !strings.HasSuffix(rest, "]") || j < 0 || strings.IndexByte(rest[j+1:len(rest)-1], ']') >= 0 {
			return sdSignature{}, fmt.Errorf("value %q: want name[version][category][lang]", v)
		}
		groups[i] = rest[j+1 : len(rest)-1]
		rest = rest[:j]
	}
	sig := sdSignature{name: rest}
	if strings.TrimSpace(sig.name) == "" {
		return sdSignature{}, fmt.Errorf("value %q: empty name", v)
	}
	switch strings.TrimSpace(groups[1]) {
	case "0":
		sig.category = CategoryShell
	case "1":
		sig.category = CategoryMalicious
	case "2":
		sig.category = CategorySuspicious
	default:
		return sdSignature{}, fmt.Errorf("value %q: unknown category %q (want 0, 1 or 2)", v, groups[1])
	}
	sig.kinds = KindAny
	if k, ok := kindNames[strings.ToLower(strings.TrimSpace(groups[2]))]; ok {
		sig.kinds = k
	}
	return sig, nil
}

// sanitizeID keeps [A-Za-z0-9._-] and replaces every other byte with '_'.
func sanitizeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// printableName replaces bytes outside printable ASCII with '?', so a
// downloaded database cannot put control sequences into reports.
func printableName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// Key classes, as decodeSDKey reports them.
const (
	sdKeyPrintable = iota // one alignment decodes to printable ASCII text
	sdKeyHighBytes        // one alignment decodes to text if bytes >= 0x80 count as text
	sdKeyAmbiguous        // no single text alignment: all four decodings
	sdKeyRaw              // "bb:" key
)

// decodeSDKey turns a fingerprint into the literals to search for in raw
// files, and says which way it was decoded.
func decodeSDKey(key []byte) ([]Literal, int, error) {
	if rest, ok := bytes.CutPrefix(key, []byte("bb:")); ok {
		b, err := lenientBase64(rest)
		if err != nil {
			return nil, 0, fmt.Errorf("bb: fingerprint: %v", err)
		}
		if len(b) < MinLiteralLen {
			return nil, 0, fmt.Errorf("bb: fingerprint decodes to %d bytes, want at least %d", len(b), MinLiteralLen)
		}
		return []Literal{{Text: b}}, sdKeyRaw, nil
	}
	var dec [4][]byte
	for j := range dec {
		if j > len(key) {
			break
		}
		b, err := lenientBase64(key[j:])
		if err != nil {
			if j == 0 {
				return nil, 0, fmt.Errorf("fingerprint: %v", err)
			}
			continue // padding at the wrong place for this alignment
		}
		if len(b) >= MinLiteralLen {
			dec[j] = b
		}
	}
	for _, class := range []int{sdKeyPrintable, sdKeyHighBytes} {
		only := -1
		for j, b := range dec {
			if b != nil && isText(b, class == sdKeyHighBytes) {
				if only >= 0 {
					only = -2
					break
				}
				only = j
			}
		}
		if only >= 0 {
			return []Literal{{Text: dec[only]}}, class, nil
		}
	}
	var lits []Literal
	for j, b := range dec {
		dup := false
		for _, p := range dec[:j] {
			dup = dup || p != nil && bytes.Equal(p, b)
		}
		if b != nil && !dup {
			lits = append(lits, Literal{Text: b})
		}
	}
	if len(lits) == 0 {
		return nil, 0, fmt.Errorf("fingerprint decodes to less than %d bytes", MinLiteralLen)
	}
	return lits, sdKeyAmbiguous, nil
}

// isText reports whether b is printable ASCII text (tab, LF, CR and
// 0x20-0x7e), with bytes >= 0x80 allowed when high is set.
func isText(b []byte, high bool) bool {
	for _, c := range b {
		switch {
		case c == '\t' || c == '\n' || c == '\r' || 0x20 <= c && c <= 0x7e:
		case high && c >= 0x80:
		default:
			return false
		}
	}
	return true
}

// lenientBase64 decodes standard base64 without requiring padding: trailing
// '=' are ignored, a trailing partial quad of 2 or 3 characters gives its 1
// or 2 whole bytes, a lone trailing character is dropped.
func lenientBase64(s []byte) ([]byte, error) {
	s = bytes.TrimRight(s, "=")
	for i, c := range s {
		if !isBase64Char(c) {
			return nil, fmt.Errorf("byte %d is %q, not base64", i, c)
		}
	}
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(s)))
	n, err := base64.RawStdEncoding.Decode(out, s)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// quoteByte quotes an ASCII byte as a Go character literal, any other as hex.
func quoteByte(c byte) string {
	if c < 0x80 {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// sdDB is a decoded shelldetect.db.
type sdDB struct {
	entries []phpEntry
	// newlines[k] is how many base64 characters precede the k-th line break.
	newlines []int
}

// line returns the 1-based line of the db file holding the base64 of
// decoded byte off.
func (db *sdDB) line(off int) int {
	c := off/3*4 + off%3
	return 1 + sort.Search(len(db.newlines), func(k int) bool { return db.newlines[k] > c })
}

// readShellDetect decodes the base64 layer and the serialized array.
func readShellDetect(name string, data []byte) (*sdDB, error) {
	db := &sdDB{}
	clean := make([]byte, 0, len(data))
	line, lineStart, lastLine := 1, 0, 1
	padLine, pads := 0, 0
	for i, c := range data {
		switch {
		case c == '\n':
			db.newlines = append(db.newlines, len(clean))
			line, lineStart = line+1, i+1
		case c == '\r' || c == ' ' || c == '\t':
		case c == '=':
			if pads == 0 {
				padLine = line
			}
			pads++
			if pads > 2 {
				return nil, errAt(name, line, "base64: too much '=' padding at column %d", i-lineStart+1)
			}
		case isBase64Char(c):
			if pads > 0 {
				return nil, errAt(name, line, "base64: data after '=' padding (line %d) at column %d", padLine, i-lineStart+1)
			}
			clean = append(clean, c)
			lastLine = line
		default:
			return nil, errAt(name, line, "base64: invalid character %s at column %d", quoteByte(c), i-lineStart+1)
		}
	}
	if len(clean) == 0 {
		return nil, errAt(name, 0, "empty database")
	}
	if len(clean)%4 == 1 {
		return nil, errAt(name, lastLine, "base64: truncated (%d characters, one too many for whole bytes)", len(clean))
	}
	raw := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(raw, clean)
	if err != nil {
		return nil, errAt(name, 0, "base64: %v", err)
	}
	db.entries, err = parsePHPArray(name, raw[:n])
	if err != nil {
		return nil, err
	}
	return db, nil
}
