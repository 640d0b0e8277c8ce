package signatures

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// minRequiredLiteralLen is the shortest literal RequiredLiterals returns:
// shorter ones hit nearly every file.
const minRequiredLiteralLen = 3

// RequiredLiterals returns literals of which at least one occurs in every
// match of the regular expression expr, for the literal prefilter; nil when
// no such set of literals of at least 3 bytes is found (the regex must then
// run on every file). Case-insensitive parts give NoCase literals.
//
// Perl back-references (\1, \k<name>), which RE2 does not parse, count as
// an empty group. A literal is cut at any rune the prefilter's byte
// comparison could get wrong (non-ASCII runes, and under (?i) the ASCII
// letters k and s, which also fold to U+212A and U+017F); the longest piece
// is kept. The result is sound, not necessarily the best possible.
func RequiredLiterals(expr string) []Literal {
	re, err := parseForLiterals(expr)
	if err != nil {
		return nil
	}
	set := required(re)
	for _, l := range set {
		if len(l.Text) < minRequiredLiteralLen {
			return nil
		}
	}
	return set
}

// parseForLiterals parses expr with RE2's syntax, after neutralising
// back-references when RE2 rejects the original.
func parseForLiterals(expr string) (*syntax.Regexp, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err == nil {
		return re, nil
	}
	n := neutraliseBackrefs(expr)
	if n == expr {
		return nil, err
	}
	// Such an expression runs on the backtracking (.NET-style) engine. Where
	// its syntax means something else to RE2, give up: character class
	// subtraction ([a-z-[aeiou]], RE2 reads a literal ']' after it) and
	// \Q...\E quoting (RE2 would quote our "()").
	if strings.Contains(expr, "-[") || strings.Contains(expr, `\Q`) {
		return nil, err
	}
	return syntax.Parse(n, syntax.Perl)
}

// neutraliseBackrefs replaces \1..\9 (with any following digits) and
// \k<name> / \k'name' by an empty capture group "()". An empty group keeps
// the literals on either side apart, as the back-reference did.
func neutraliseBackrefs(expr string) string {
	var b strings.Builder
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c != '\\' || i+1 >= len(expr) {
			b.WriteByte(c)
			continue
		}
		next := expr[i+1]
		switch {
		case '1' <= next && next <= '9':
			j := i + 2
			for j < len(expr) && '0' <= expr[j] && expr[j] <= '9' {
				j++
			}
			b.WriteString("()")
			i = j - 1
		case next == 'k' && i+2 < len(expr) && (expr[i+2] == '<' || expr[i+2] == '\''):
			closer := byte('>')
			if expr[i+2] == '\'' {
				closer = '\''
			}
			end := strings.IndexByte(expr[i+3:], closer)
			if end < 0 {
				b.WriteString(expr[i : i+2])
				i++
				continue
			}
			b.WriteString("()")
			i = i + 3 + end
		default:
			b.WriteString(expr[i : i+2])
			i++
		}
	}
	return b.String()
}

// required returns a set of literals one of which occurs in every match of
// re, or nil when nothing is required.
func required(re *syntax.Regexp) []Literal {
	switch re.Op {
	case syntax.OpLiteral:
		if l, ok := literalOf(re); ok {
			return []Literal{l}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []Literal
		for _, s := range re.Sub {
			if set := required(s); betterSet(set, best) {
				best = set
			}
		}
		return best
	case syntax.OpAlternate:
		var out []Literal
		seen := map[litKey]bool{}
		for _, s := range re.Sub {
			set := required(s)
			if set == nil {
				return nil
			}
			for _, l := range set {
				k := litKey{string(l.Text), l.NoCase}
				if !seen[k] {
					seen[k] = true
					out = append(out, l)
				}
			}
		}
		return out
	}
	return nil
}

// litKey is a comparable form of a Literal.
type litKey struct {
	text   string
	noCase bool
}

// betterSet reports whether a is a better prefilter set than b: its
// shortest member is longer, or as long with fewer members.
func betterSet(a, b []Literal) bool {
	if len(a) == 0 {
		return false
	}
	if len(b) == 0 {
		return true
	}
	ma, mb := shortest(a), shortest(b)
	return ma > mb || ma == mb && len(a) < len(b)
}

func shortest(set []Literal) int {
	m := -1
	for _, l := range set {
		if m < 0 || len(l.Text) < m {
			m = len(l.Text)
		}
	}
	return m
}

// literalOf returns the longest piece of a literal node that the prefilter
// can compare bytewise.
func literalOf(re *syntax.Regexp) (Literal, bool) {
	fold := re.Flags&syntax.FoldCase != 0
	var best, cur []byte
	for _, r := range re.Rune {
		if !prefilterSafe(r, fold) {
			if len(cur) > len(best) {
				best = cur
			}
			cur = nil
			continue
		}
		if fold && 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		cur = append(cur, byte(r))
	}
	if len(cur) > len(best) {
		best = cur
	}
	if len(best) == 0 {
		return Literal{}, false
	}
	noCase := false
	if fold {
		for _, c := range best {
			if 'a' <= c && c <= 'z' {
				noCase = true
				break
			}
		}
	}
	return Literal{Text: best, NoCase: noCase}, true
}

// prefilterSafe reports whether rune r of a literal matches exactly the
// bytes the prefilter looks for: an ASCII rune, and under case folding one
// whose every fold is ASCII.
func prefilterSafe(r rune, fold bool) bool {
	if r >= utf8.RuneSelf || r < 0 {
		return false
	}
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f >= utf8.RuneSelf {
				return false
			}
		}
	}
	return true
}
