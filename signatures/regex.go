package signatures

import (
	"fmt"
	"regexp"
	"time"

	"github.com/dlclark/regexp2"
)

// regexTimeout bounds one backtracking match (only regexes RE2 cannot
// compile, e.g. with back-references, use the backtracking engine).
const regexTimeout = 200 * time.Millisecond

// Regex is a compiled regular expression: RE2 (linear time) when the
// expression allows it, else a backtracking engine with a per-match timeout
// for the Perl features some seed files use (back-references, look-around).
// It is safe for concurrent use.
type Regex struct {
	src  string
	re2  *regexp.Regexp
	back *regexp2.Regexp
}

// CompileRegex compiles src, preferring RE2.
func CompileRegex(src string) (*Regex, error) {
	if src == "" {
		return nil, fmt.Errorf("empty regex")
	}
	re, re2err := regexp.Compile(src)
	if re2err == nil {
		return &Regex{src: src, re2: re}, nil
	}
	back, err := regexp2.Compile(src, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("bad regex %q: %v", src, re2err)
	}
	back.MatchTimeout = regexTimeout
	return &Regex{src: src, back: back}, nil
}

// Anchor returns the expression anchored at the start of the text.
func (r *Regex) Anchor() (*Regex, error) {
	return CompileRegex(`\A(?:` + r.src + `)`)
}

// String returns the source of the expression.
func (r *Regex) String() string { return r.src }

// Backtracking reports whether the expression needed the backtracking engine.
func (r *Regex) Backtracking() bool { return r.back != nil }

// Find returns the byte offsets of the leftmost match in b, or ok=false.
// A backtracking match that times out counts as no match.
func (r *Regex) Find(b []byte) (start, end int, ok bool) {
	if r.re2 != nil {
		loc := r.re2.FindIndex(b)
		if loc == nil {
			return 0, 0, false
		}
		return loc[0], loc[1], true
	}
	// regexp2 works on runes: map byte offsets through a Latin-1 view so
	// every byte is one rune and offsets stay byte offsets.
	runes := latin1Runes(b)
	m, err := r.back.FindRunesMatch(runes)
	if err != nil || m == nil {
		return 0, 0, false
	}
	return m.Index, m.Index + m.Length, true
}

// FindAll returns the offsets of all non-overlapping matches in b.
func (r *Regex) FindAll(b []byte) [][2]int {
	var out [][2]int
	if r.re2 != nil {
		for _, loc := range r.re2.FindAllIndex(b, -1) {
			out = append(out, [2]int{loc[0], loc[1]})
		}
		return out
	}
	runes := latin1Runes(b)
	m, err := r.back.FindRunesMatch(runes)
	for err == nil && m != nil {
		out = append(out, [2]int{m.Index, m.Index + m.Length})
		m, err = r.back.FindNextMatch(m)
	}
	return out
}

func latin1Runes(b []byte) []rune {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return rs
}
