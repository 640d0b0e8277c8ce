package signatures

import (
	"bytes"
	"fmt"
)

// DefaultWindow is how many bytes either side of a literal hit a confirming
// regex sees when a rule does not say.
const DefaultWindow = 512

// maxLineSnap bounds how far a window is widened to reach a line end.
const maxLineSnap = 256

// ConfirmWindow returns the part of b a rule's regex is run on for a
// literal hit at [start, end): Window bytes either side, widened to whole
// lines (by at most maxLineSnap bytes each way).
//
// For an anchored rule the window is the literal and Window bytes after it,
// not widened: the regex must match from its first byte.
func (r *Rule) ConfirmWindow(b []byte, start, end int) (lo, hi int) {
	w := r.Window
	if w < 0 {
		return 0, len(b)
	}
	if w == 0 {
		w = DefaultWindow
	}
	if r.Anchored {
		return start, min(end+w, len(b))
	}
	lo, hi = max(start-w, 0), min(end+w, len(b))
	if i := bytes.LastIndexByte(b[max(lo-maxLineSnap, 0):lo], '\n'); i >= 0 {
		lo = max(lo-maxLineSnap, 0) + i + 1
	} else {
		lo = max(lo-maxLineSnap, 0)
	}
	if i := bytes.IndexByte(b[hi:min(hi+maxLineSnap, len(b))], '\n'); i >= 0 {
		hi += i
	} else {
		hi = min(hi+maxLineSnap, len(b))
	}
	return lo, hi
}

// Match is the reference semantics of a rule, written for clarity, not speed
// (the matcher package must agree with it): the rule hits when one of its
// literals occurs and, if it has a confirming regex, the regex matches in the
// window around one such occurrence; a rule with Requires also needs one
// of those anywhere in the buffer. A rule without literals is its regex
// over the whole buffer. It returns the offsets of the hit
// (the regex match, or the first literal occurrence).
func (r *Rule) Match(b []byte) (start, end int, ok bool) {
	if len(r.Requires) > 0 && !containsAny(b, r.Requires) {
		return 0, 0, false
	}
	if len(r.Literals) == 0 {
		if r.Confirm == nil {
			return 0, 0, false
		}
		return r.Confirm.Find(b)
	}
	if r.Window < 0 && r.Confirm != nil && !r.Boundary {
		// Whole-buffer rules: the literal only gates the regex.
		if !containsAny(b, r.Literals) {
			return 0, 0, false
		}
		return r.Confirm.Find(b)
	}
	best := -1
	var bestEnd int
	var folded []byte
	for _, lit := range r.Literals {
		hay, needle := b, lit.Text
		if lit.NoCase {
			if folded == nil {
				folded = FoldASCII(b)
			}
			hay, needle = folded, FoldASCII(lit.Text)
		}
		for off := 0; ; {
			i := bytes.Index(hay[off:], needle)
			if i < 0 {
				break
			}
			s, e := off+i, off+i+len(needle)
			off = s + 1
			if r.Boundary && s > 0 && NotFreeStanding(b[s-1]) {
				continue
			}
			if r.Confirm == nil {
				if best < 0 || s < best {
					best, bestEnd = s, e
				}
				break
			}
			lo, hi := r.ConfirmWindow(b, s, e)
			if ms, me, ok := r.Confirm.Find(b[lo:hi]); ok {
				if best < 0 || lo+ms < best {
					best, bestEnd = lo+ms, lo+me
				}
				break
			}
		}
	}
	if best < 0 {
		return 0, 0, false
	}
	return best, bestEnd, true
}

// Validate checks that every true-positive snippet matches and no
// false-positive snippet does.
func (r *Rule) Validate() error {
	for _, tp := range r.TruePositives {
		if _, _, ok := r.Match([]byte(tp)); !ok {
			return fmt.Errorf("true positive %q does not match", tp)
		}
	}
	for _, fp := range r.FalsePositives {
		if _, _, ok := r.Match([]byte(fp)); ok {
			return fmt.Errorf("false positive %q matches", fp)
		}
	}
	return nil
}

// FoldASCII returns a copy of b with ASCII upper-case letters lowered;
// every other byte is unchanged, so offsets do not move.
func FoldASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// containsAny reports whether one of lits occurs in b.
func containsAny(b []byte, lits []Literal) bool {
	var folded []byte
	for _, l := range lits {
		if !l.NoCase {
			if bytes.Contains(b, l.Text) {
				return true
			}
			continue
		}
		if folded == nil {
			folded = FoldASCII(b)
		}
		if bytes.Contains(folded, FoldASCII(l.Text)) {
			return true
		}
	}
	return false
}
