package matcher

import "github.com/spamgear/spamgear/signatures"

// Naive is the reference Matcher: every rule's signatures.Rule.Match in
// turn. It is slow and obviously right; tests compare Engine against it.
type Naive struct {
	Rules []*signatures.Rule
}

// Match implements Matcher.
func (n *Naive) Match(buf []byte, kinds signatures.Kind) []Finding {
	var out []Finding
	for _, r := range n.Rules {
		if r.Kinds&kinds == 0 {
			continue
		}
		if s, e, ok := r.Match(buf); ok {
			out = append(out, newFinding(r, buf, s, e))
		}
	}
	return out
}
