package decode

import (
	"bytes"
	"unicode/utf8"
)

// tokKind classifies a PHP token. The lexer knows just enough PHP to find
// string literals, calls, variables and the punctuation between them: it
// never builds a syntax tree and never fails, so malformed input only yields
// odd tokens.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // a name: function, constant, keyword
	tVar            // $name (span includes the '$')
	tString         // a string literal (see strKind)
	tNumber         // a numeric literal, loosely scanned
	tOp             // punctuation; op holds its text
)

// strKind is the quoting of a string literal.
type strKind uint8

const (
	sSingle   strKind = iota // '...'
	sDouble                  // "..."
	sHeredoc                 // <<<ID ... ID
	sNowdoc                  // <<<'ID' ... ID
	sBacktick                // `...` (shell execution: never a static value)
)

// String literal flags.
const (
	fBackslash    = 1 << iota // content holds a backslash: the value needs unescaping
	fDynamic                  // interpolates variables ("$x", "{$x}"): not a static value
	fUnterminated             // runs to the end of the buffer
)

// token is one lexed token. Offsets index the lexer's buffer.
type token struct {
	kind   tokKind
	sk     strKind
	flags  uint8
	start  int    // first byte of the token
	end    int    // one past the last byte
	cs, ce int    // string content span (between the quotes / heredoc markers)
	esc    int    // numeric escapes (\x.., \NNN, \u{..}) in a double-quoted or heredoc literal
	indent int    // heredoc and nowdoc: indentation of the closing marker, removed from every line
	op     string // tOp text (a constant string, never allocated)
}

// static reports whether the literal has a value known without running code.
func (t *token) static() bool {
	return t.kind == tString && t.sk != sBacktick && t.flags&(fDynamic|fUnterminated) == 0
}

// isOp reports whether t is the punctuation op.
func (t *token) isOp(op string) bool { return t.kind == tOp && t.op == op }

// lexer scans PHP tokens on demand. It is a small value: copying it saves
// its position, which is how the evaluator looks ahead and backtracks.
type lexer struct {
	buf  []byte
	pos  int
	html bool // outside <?php ... ?>: inline HTML is skipped
}

// newLexer starts a lexer on buf. A buffer that holds "<?" starts outside
// PHP (as the PHP interpreter reads a file); one that does not is taken as
// bare PHP code (an eval'd string, a fragment).
func newLexer(buf []byte, html bool) lexer {
	return lexer{buf: buf, html: html}
}

// Byte classes.
const (
	cIdentStart = 1 << iota // a-z A-Z _ and bytes >= 0x80
	cIdentChar              // the above and digits
	cSpace                  // white space
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80 {
			t[c] |= cIdentStart | cIdentChar
		}
		if c >= '0' && c <= '9' {
			t[c] |= cIdentChar
		}
	}
	for _, c := range " \t\n\r\v\f" {
		t[c] |= cSpace
	}
	return t
}()

func isIdentStart(c byte) bool { return byteClass[c]&cIdentStart != 0 }
func isIdentChar(c byte) bool  { return byteClass[c]&cIdentChar != 0 }
func isSpace(c byte) bool      { return byteClass[c]&cSpace != 0 }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skipHTML moves past inline HTML to the code after the next open tag. It
// returns false at the end of the buffer.
func (l *lexer) skipHTML() bool {
	for {
		i := bytes.Index(l.buf[l.pos:], []byte("<?"))
		if i < 0 {
			l.pos = len(l.buf)
			return false
		}
		p := l.pos + i + 2
		rest := l.buf[p:]
		switch {
		case len(rest) >= 3 && (rest[0]|0x20) == 'p' && (rest[1]|0x20) == 'h' && (rest[2]|0x20) == 'p':
			p += 3
		case len(rest) >= 1 && rest[0] == '=':
			p++
		case len(rest) >= 3 && (rest[0]|0x20) == 'x' && (rest[1]|0x20) == 'm' && (rest[2]|0x20) == 'l':
			l.pos = p // an XML declaration, not code
			continue
		}
		l.pos = p
		l.html = false
		return true
	}
}

// next returns the next token; at the end of the buffer it returns tEOF,
// again and again.
func (l *lexer) next() token {
	var t token
	l.scan(&t)
	return t
}

// scan is next writing into *t, which saves copying tokens in hot loops.
func (l *lexer) scan(t *token) {
	buf := l.buf
	n := len(buf)
	for {
		if l.html && !l.skipHTML() {
			*t = token{kind: tEOF, start: n, end: n}
			return
		}
		// Skip white space and comments.
		for l.pos < n && isSpace(buf[l.pos]) {
			l.pos++
		}
		if l.pos >= n {
			*t = token{kind: tEOF, start: n, end: n}
			return
		}
		p := l.pos
		c := buf[p]
		switch {
		case c == '#' || c == '/' && p+1 < n && buf[p+1] == '/':
			l.skipLineComment()
			continue
		case c == '/' && p+1 < n && buf[p+1] == '*':
			if j := bytes.Index(buf[p+2:], []byte("*/")); j >= 0 {
				l.pos = p + 2 + j + 2
			} else {
				l.pos = n
			}
			continue
		case c == '?' && p+1 < n && buf[p+1] == '>':
			// A close tag ends the statement and leaves PHP.
			l.pos = p + 2
			l.html = true
			*t = token{kind: tOp, op: ";", start: p, end: p + 2}
			return
		}
		l.scanToken(t)
		return
	}
}

// skipLineComment skips a // or # comment, which ends at a newline (\n or a
// lone \r, as in PHP) or at a close tag (the close tag itself is left to be
// lexed).
func (l *lexer) skipLineComment() {
	buf := l.buf
	for i := l.pos; i < len(buf); i++ {
		switch buf[i] {
		case '\n', '\r':
			l.pos = i + 1
			return
		case '?':
			if i+1 < len(buf) && buf[i+1] == '>' {
				l.pos = i
				return
			}
		}
	}
	l.pos = len(buf)
}

// ops lists the multi-byte punctuation the evaluator tells apart, longest
// first within each leading byte. Anything else is a one-byte op.
var ops = [...]string{
	"...", "===", "!==", "<=>", "??=", "?->",
	".=", "==", "!=", "=>", "->", "::", "<=", ">=", "??", "&&", "||", "++", "--",
	"+=", "-=", "*=", "/=", "%=", "^=", "|=", "&=", "**", "<<", ">>",
}

// opsByByte indexes ops by their first byte.
var opsByByte = func() (t [256][]string) {
	for _, op := range ops {
		t[op[0]] = append(t[op[0]], op)
	}
	return t
}()

// oneByteOps maps a byte to its one-byte op string without allocating.
var oneByteOps = func() (t [256]string) {
	for c := 0; c < 256; c++ {
		t[c] = string(rune(c))
		if c >= 0x80 {
			t[c] = "?"
		}
	}
	return t
}()

func (l *lexer) scanToken(t *token) {
	buf := l.buf
	n := len(buf)
	p := l.pos
	c := buf[p]
	switch {
	case isIdentStart(c):
		e := p + 1
		for e < n && isIdentChar(buf[e]) {
			e++
		}
		l.pos = e
		*t = token{kind: tIdent, start: p, end: e}
		return
	case c == '$' && p+1 < n && isIdentStart(buf[p+1]):
		e := p + 2
		for e < n && isIdentChar(buf[e]) {
			e++
		}
		l.pos = e
		*t = token{kind: tVar, start: p, end: e}
		return
	case c >= '0' && c <= '9' || c == '.' && p+1 < n && buf[p+1] >= '0' && buf[p+1] <= '9':
		e := p + 1
		for e < n {
			d := buf[e]
			if isIdentChar(d) && d < 0x80 || d == '.' && e+1 < n && buf[e+1] >= '0' && buf[e+1] <= '9' {
				e++
				continue
			}
			break
		}
		l.pos = e
		*t = token{kind: tNumber, start: p, end: e}
		return
	case c == '\'':
		l.scanSingle(t)
		return
	case c == '"':
		l.scanDouble(t, '"', sDouble)
		return
	case c == '`':
		l.scanDouble(t, '`', sBacktick)
		return
	case c == '<' && p+2 < n && buf[p+1] == '<' && buf[p+2] == '<':
		if l.scanHeredoc(t) {
			return
		}
	}
	for _, op := range opsByByte[c] {
		if p+len(op) <= n && string(buf[p:p+len(op)]) == op {
			l.pos = p + len(op)
			*t = token{kind: tOp, op: op, start: p, end: l.pos}
			return
		}
	}
	l.pos = p + 1
	*t = token{kind: tOp, op: oneByteOps[c], start: p, end: p + 1}
	return
}

func (l *lexer) scanSingle(t *token) {
	buf := l.buf
	p := l.pos
	*t = token{kind: tString, sk: sSingle, start: p, cs: p + 1}
	i := p + 1
	q := -1 // the next quote at or after i, once found
	for {
		if q < i {
			j := bytes.IndexByte(buf[i:], '\'')
			if j < 0 {
				t.flags |= fUnterminated
				t.ce, t.end = len(buf), len(buf)
				l.pos = len(buf)
				return
			}
			q = i + j
		}
		k := bytes.IndexByte(buf[i:q], '\\')
		if k < 0 {
			i = q
			break
		}
		t.flags |= fBackslash
		i += k + 2 // skips an escaped quote too
		if i > len(buf) {
			i = len(buf)
		}
	}
	t.ce, t.end = i, i+1
	l.pos = i + 1
}

// scanDouble scans a "..." or `...` literal, counting numeric escapes and
// noting interpolation.
func (l *lexer) scanDouble(t *token, q byte, sk strKind) {
	buf := l.buf
	n := len(buf)
	p := l.pos
	*t = token{kind: tString, sk: sk, start: p, cs: p + 1}
	i := p + 1
	for i < n {
		c := buf[i]
		if !dqSpecial[c] {
			i++
			continue
		}
		switch c {
		case q:
			t.ce, t.end = i, i+1
			l.pos = i + 1
			return
		case '\\':
			t.flags |= fBackslash
			t.esc += countEscape(buf, i)
			i += 2
			continue
		case '$':
			if i+1 < n && (isIdentStart(buf[i+1]) || buf[i+1] == '{') {
				t.flags |= fDynamic
			}
		case '{':
			if i+1 < n && buf[i+1] == '$' {
				t.flags |= fDynamic
			}
		}
		i++
	}
	t.flags |= fUnterminated
	t.ce, t.end = n, n
	l.pos = n
	return
}

// dqSpecial marks the bytes scanDouble must look at.
var dqSpecial = func() (t [256]bool) {
	for _, c := range "\"`\\${" {
		t[c] = true
	}
	return t
}()

// countEscape returns 1 if the backslash at buf[i] starts a numeric escape.
func countEscape(buf []byte, i int) int {
	if i+1 >= len(buf) {
		return 0
	}
	switch d := buf[i+1]; {
	case d >= '0' && d <= '7':
		return 1
	case d == 'x':
		if i+2 < len(buf) && isHex(buf[i+2]) {
			return 1
		}
	case d == 'u':
		if i+2 < len(buf) && buf[i+2] == '{' {
			return 1
		}
	}
	return 0
}

// scanHeredoc scans <<<ID, <<<"ID" or <<<'ID' up to the closing marker (PHP
// 7.3 rules: the marker may be indented and followed by other code).
func (l *lexer) scanHeredoc(t *token) bool {
	buf := l.buf
	n := len(buf)
	p := l.pos
	i := p + 3
	for i < n && (buf[i] == ' ' || buf[i] == '\t') {
		i++
	}
	sk := sHeredoc
	var quote byte
	if i < n && (buf[i] == '\'' || buf[i] == '"') {
		quote = buf[i]
		if quote == '\'' {
			sk = sNowdoc
		}
		i++
	}
	if i >= n || !isIdentStart(buf[i]) {
		return false
	}
	idStart := i
	for i < n && isIdentChar(buf[i]) {
		i++
	}
	id := buf[idStart:i]
	if quote != 0 {
		if i >= n || buf[i] != quote {
			return false
		}
		i++
	}
	if i < n && buf[i] == '\r' {
		i++
	}
	if i >= n || buf[i] != '\n' {
		return false
	}
	body := i + 1
	*t = token{kind: tString, sk: sk, start: p, cs: body}
	// Find the closing line: optional indentation, the identifier, then a
	// byte that cannot continue it.
	for ls := body; ls <= n; {
		j := ls
		for j < n && (buf[j] == ' ' || buf[j] == '\t') {
			j++
		}
		if bytes.HasPrefix(buf[j:], id) && (j+len(id) >= n || !isIdentChar(buf[j+len(id)])) {
			ce := ls - 1 // the newline before the closing line is not content
			if ce < body {
				ce = body
			}
			if ce > body && buf[ce-1] == '\r' {
				ce--
			}
			t.ce, t.end = ce, j+len(id)
			t.indent = j - ls
			l.pos = t.end
			if sk == sHeredoc {
				l.scanHeredocBody(t)
			}
			return true
		}
		k := bytes.IndexByte(buf[ls:], '\n')
		if k < 0 {
			break
		}
		ls += k + 1
	}
	t.flags |= fUnterminated
	t.ce, t.end = n, n
	l.pos = n
	return true
}

// scanHeredocBody sets the escape count and flags of a heredoc.
func (l *lexer) scanHeredocBody(t *token) {
	buf := l.buf[:t.ce]
	for i := t.cs; i < len(buf); i++ {
		switch buf[i] {
		case '\\':
			t.flags |= fBackslash
			t.esc += countEscape(buf, i)
			i++
		case '$':
			if i+1 < len(buf) && (isIdentStart(buf[i+1]) || buf[i+1] == '{') {
				t.flags |= fDynamic
			}
		case '{':
			if i+1 < len(buf) && buf[i+1] == '$' {
				t.flags |= fDynamic
			}
		}
	}
}

// rawContent returns the bytes between the quotes of a string token.
func (l *lexer) rawContent(t *token) []byte { return l.buf[t.cs:t.ce] }

// literalValue returns the value of a string literal. The result aliases the
// buffer (owned=false) when no unescaping was needed, else it is a fresh
// allocation no longer than the raw content.
func literalValue(buf []byte, t *token) (v []byte, owned bool) {
	raw := buf[t.cs:t.ce]
	if t.indent > 0 && (t.sk == sHeredoc || t.sk == sNowdoc) {
		raw, owned = dedent(raw, t.indent), true
	}
	if t.flags&fBackslash == 0 {
		return raw, owned
	}
	switch t.sk {
	case sSingle:
		return unescapeSingle(raw), true
	case sNowdoc:
		return raw, owned
	case sHeredoc:
		return unescapeDouble(raw, 0), true
	default:
		return unescapeDouble(raw, t.sk.quote()), true
	}
}

// dedent removes up to n bytes of leading spaces and tabs from every line of
// s, as PHP 7.3+ does with the indentation of a heredoc's closing marker.
func dedent(s []byte, n int) []byte {
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		k := 0
		for k < n && k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		s = s[k:]
		line := s
		if i := bytes.IndexByte(s, '\n'); i >= 0 {
			line = s[:i+1]
		}
		out = append(out, line...)
		s = s[len(line):]
	}
	return out
}

func (k strKind) quote() byte {
	if k == sBacktick {
		return '`'
	}
	return '"'
}

// unescapeSingle applies the two escapes of a single-quoted literal: \' and \\.
func unescapeSingle(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '\\') {
			i++
		}
		out = append(out, s[i])
	}
	return out
}

// unescapeDouble applies the escapes of a double-quoted literal (quote '"'),
// backtick literal (quote '`') or heredoc (quote 0). Unknown escapes keep
// their backslash, as PHP does. The result is never longer than s.
func unescapeDouble(s []byte, quote byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		d := s[i+1]
		switch d {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'v':
			out = append(out, '\v')
		case 'e':
			out = append(out, 0x1b)
		case 'f':
			out = append(out, '\f')
		case '\\', '$':
			out = append(out, d)
		case 'x':
			if i+2 < len(s) && isHex(s[i+2]) {
				v := unhex(s[i+2])
				j := i + 3
				if j < len(s) && isHex(s[j]) {
					v = v<<4 | unhex(s[j])
					j++
				}
				out = append(out, v)
				i = j - 1
				continue
			}
			out = append(out, c, d)
		case 'u':
			if r, j, ok := unicodeEscape(s, i+2); ok {
				out = appendCodePoint(out, r)
				i = j - 1
				continue
			}
			out = append(out, c, d)
		default:
			if d >= '0' && d <= '7' {
				v := int(d - '0')
				j := i + 2
				for k := 0; k < 2 && j < len(s) && s[j] >= '0' && s[j] <= '7'; k++ {
					v = v<<3 | int(s[j]-'0')
					j++
				}
				out = append(out, byte(v)) // PHP wraps \400 and up
				i = j - 1
				continue
			}
			if quote != 0 && d == quote {
				out = append(out, d)
			} else {
				out = append(out, c, d)
			}
		}
		i++
	}
	return out
}

// unicodeEscape parses "{hex}" at s[i:], returning the code point and the
// index after the closing brace. Any number of digits is allowed (leading
// zeros), up to U+10FFFF; PHP rejects the rest at compile time.
func unicodeEscape(s []byte, i int) (rune, int, bool) {
	if i >= len(s) || s[i] != '{' {
		return 0, 0, false
	}
	var r rune
	j := i + 1
	for ; j < len(s) && isHex(s[j]); j++ {
		r = r<<4 | rune(unhex(s[j]))
		if r > utf8.MaxRune {
			return 0, 0, false
		}
	}
	if j == i+1 || j >= len(s) || s[j] != '}' {
		return 0, 0, false
	}
	return r, j + 1, true
}

// appendCodePoint appends r in UTF-8 as PHP's \u{} does: surrogate halves
// (U+D800-U+DFFF) are encoded like any other code point, not replaced.
func appendCodePoint(out []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(out, byte(r))
	case r < 0x800:
		return append(out, 0xc0|byte(r>>6), 0x80|byte(r)&0x3f)
	case r < 0x10000:
		return append(out, 0xe0|byte(r>>12), 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
	default:
		return append(out, 0xf0|byte(r>>18), 0x80|byte(r>>12)&0x3f, 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
	}
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
