package matcher

import "github.com/spamgear/spamgear/signatures"

// foldDFA is an Aho-Corasick automaton compiled to a dense DFA over
// ASCII-folded byte classes. States are numbered so that every state with
// output comes after every state without, and stored premultiplied by the
// number of classes, so the inner loop is one table load and one compare
// per byte. Case-sensitive literals are matched folded and verified
// against the original bytes on a hit. Read-only after build: safe for
// concurrent use.
type foldDFA struct {
	class   [256]uint8
	nclass  int
	trans   []uint32 // (state*nclass + class) → next state * nclass
	accept  uint32   // premultiplied: states >= accept have outputs
	outIdx  []int32  // per accepting state (state/nclass - accept/nclass): start in outs; len+1 entries
	outs    []int32  // literal ids
	litLen  []int32  // per literal id (indexes into the matcher's literal table)
	maxLen  int      // longest literal
	nstates int
}

// buildFoldDFA builds the automaton for lits (ids are positions in lits).
func buildFoldDFA(lits []signatures.Literal) *foldDFA {
	d := &foldDFA{}
	// Byte classes: one per distinct folded byte used by a literal; 0 = any other byte.
	var used [256]bool
	for _, l := range lits {
		for _, c := range l.Text {
			used[fold(c)] = true
		}
	}
	var classOf [256]uint8
	n := 1
	for c := 0; c < 256; c++ {
		if used[c] {
			classOf[c] = uint8(n)
			n++
		}
	}
	if n > 256 {
		panic("matcher: too many byte classes") // cannot happen: 256 folded bytes at most, and fold merges 26
	}
	for c := 0; c < 256; c++ {
		d.class[c] = classOf[fold(byte(c))]
	}
	d.nclass = n

	// Trie.
	type node struct {
		next map[uint8]int32
		fail int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, l := range lits {
		s := int32(0)
		for _, c := range l.Text {
			k := d.class[c]
			nx, ok := nodes[s].next[k]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[k] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
		d.litLen = append(d.litLen, int32(len(l.Text)))
		d.maxLen = max(d.maxLen, len(l.Text))
	}
	// BFS for failure links and the dense transition function.
	ns := len(nodes)
	dense := make([]int32, ns*n)
	order := make([]int32, 0, ns)
	for k := 0; k < n; k++ {
		if nx, ok := nodes[0].next[uint8(k)]; ok {
			dense[k] = nx
			nodes[nx].fail = 0
			order = append(order, nx)
		}
	}
	for qi := 0; qi < len(order); qi++ {
		s := order[qi]
		nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		for k := 0; k < n; k++ {
			if nx, ok := nodes[s].next[uint8(k)]; ok {
				dense[int(s)*n+k] = nx
				nodes[nx].fail = dense[int(nodes[s].fail)*n+k]
				order = append(order, nx)
			} else {
				dense[int(s)*n+k] = dense[int(nodes[s].fail)*n+k]
			}
		}
	}
	// Renumber: states without output first (root stays 0), then with output.
	perm := make([]int32, ns)
	next := int32(0)
	for s := 0; s < ns; s++ {
		if len(nodes[s].out) == 0 {
			perm[s] = next
			next++
		}
	}
	nacc := next
	for s := 0; s < ns; s++ {
		if len(nodes[s].out) > 0 {
			perm[s] = next
			next++
		}
	}
	d.nstates = ns
	d.accept = uint32(nacc) * uint32(n)
	d.trans = make([]uint32, ns*n)
	for s := 0; s < ns; s++ {
		for k := 0; k < n; k++ {
			d.trans[int(perm[s])*n+k] = uint32(perm[dense[s*n+k]]) * uint32(n)
		}
	}
	accStates := ns - int(nacc)
	byNew := make([]int32, ns)
	for s := 0; s < ns; s++ {
		byNew[perm[s]] = int32(s)
	}
	d.outIdx = make([]int32, accStates+1)
	for i := 0; i < accStates; i++ {
		d.outIdx[i] = int32(len(d.outs))
		d.outs = append(d.outs, nodes[byNew[int(nacc)+i]].out...)
	}
	d.outIdx[accStates] = int32(len(d.outs))
	return d
}

// interleaveMin is the buffer size from which scan runs two automaton
// walks, over the two halves, in one loop: each step of a walk waits for
// the previous table load, so two independent walks use the CPU's
// parallelism that one leaves idle.
const interleaveMin = 1024

// scan runs the automaton over buf and calls hit(literalID, end) for every
// occurrence of every literal (end is exclusive), folded. It stops early
// when hit returns false. Hits come in order within each half of buf.
func (d *foldDFA) scan(buf []byte, hit func(lit int32, end int) bool) {
	if len(d.outs) == 0 {
		return
	}
	if len(buf) < interleaveMin || len(buf) < 4*d.maxLen {
		d.scanRange(buf, 0, 0, len(buf), hit)
		return
	}
	// Walk A covers [0, mid) and reports hits ending there; walk B starts
	// maxLen-1 bytes before mid, so it has seen the whole of any literal
	// ending at or after mid+1, and reports only those.
	mid := len(buf) / 2
	bStart := mid - (d.maxLen - 1)
	trans, class, accept := d.trans, &d.class, d.accept
	a, b := uint32(0), uint32(0)
	// Warm walk B up to mid without reporting.
	for i := bStart; i < mid; i++ {
		b = trans[b+uint32(class[buf[i]])]
	}
	n := mid
	if rest := len(buf) - mid; rest < n {
		n = rest
	}
	for k := 0; k < n; k++ {
		a = trans[a+uint32(class[buf[k]])]
		b = trans[b+uint32(class[buf[mid+k]])]
		if a >= accept {
			if !d.report(a, k+1, hit) {
				return
			}
		}
		if b >= accept {
			if !d.report(b, mid+k+1, hit) {
				return
			}
		}
	}
	// The halves differ by at most one byte.
	for k := n; k < mid; k++ {
		a = trans[a+uint32(class[buf[k]])]
		if a >= accept && !d.report(a, k+1, hit) {
			return
		}
	}
	for k := mid + n; k < len(buf); k++ {
		b = trans[b+uint32(class[buf[k]])]
		if b >= accept && !d.report(b, k+1, hit) {
			return
		}
	}
}

// scanRange walks buf[from:to] starting in state s (premultiplied), with
// offsets reported relative to buf.
func (d *foldDFA) scanRange(buf []byte, s uint32, from, to int, hit func(lit int32, end int) bool) {
	trans, class, accept := d.trans, &d.class, d.accept
	for i := from; i < to; i++ {
		s = trans[s+uint32(class[buf[i]])]
		if s >= accept && !d.report(s, i+1, hit) {
			return
		}
	}
}

// report calls hit for every literal ending in accepting state s at end.
func (d *foldDFA) report(s uint32, end int, hit func(lit int32, end int) bool) bool {
	a := (s - d.accept) / uint32(d.nclass)
	for _, lit := range d.outs[d.outIdx[a]:d.outIdx[a+1]] {
		if !hit(lit, end) {
			return false
		}
	}
	return true
}

func fold(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
