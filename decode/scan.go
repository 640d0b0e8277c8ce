package decode

import (
	"bytes"
	"slices"
)

// varRec is what a variable was last assigned.
type varRec struct {
	v       value
	vchain  []string // v.chain as read through the variable; nil: unreadable (chain too long)
	lits    []int    // long literals the value came from (blob bookkeeping), sorted, at most maxVarLits
	unknown bool     // last assigned something not static: do not resolve
}

// maxVarLits bounds the literals a variable remembers: "$a = $a.$a;" would
// double them at every statement.
const maxVarLits = 32

// newRec makes the record of an assignment of v, computed from the long
// literals lits (sorted and unique; the record refers to them until setVar
// copies them). Reading a variable adds the step "variable" once (not once
// per hop), computed here rather than at every read. Literals past
// maxVarLits are marked used at once: a variable built from so many long
// literals is not what rule "blob" is for.
func (s *scanner) newRec(v value, lits []int) varRec {
	r := varRec{v: v, vchain: v.chain}
	switch n := len(v.chain); {
	case n == 0:
		r.vchain = chainVariable
	case v.chain[n-1] != StepVariable:
		r.vchain, _ = appendStep(v.chain, StepVariable)
	}
	if len(lits) > maxVarLits {
		s.markUsed(lits)
		return r
	}
	r.lits = lits
	return r
}

// sortedUnique sorts offsets and drops repeats, in place.
func sortedUnique(offs []int) []int {
	slices.Sort(offs)
	return slices.Compact(offs)
}

// markUsed records long literals consumed by a decoded expression.
func (s *scanner) markUsed(lits []int) {
	for _, off := range lits {
		if s.usedLits == nil {
			s.usedLits = make(map[int]bool)
		}
		s.usedLits[off] = true
	}
}

// scope maps variable names to their last static assignment. A decoded
// layer gets a child scope: eval'd code sees the variables of the code
// that decoded it, and its own assignments stay in the child.
type scope struct {
	vars   map[string]*varRec
	parent *scope
}

func (s *scope) lookup(name []byte) *varRec {
	for ; s != nil; s = s.parent {
		if r, ok := s.vars[string(name)]; ok {
			return r
		}
	}
	return nil
}

// setVar records an assignment in the scanner's scope. Past maxVars
// variables in one Layers call, new names are not recorded; a record of the
// name in an outer scope is then made unknown, so that no stale value is
// read in its place.
func (s *scanner) setVar(name []byte, r varRec) {
	old, ok := s.scope.vars[string(name)]
	if ok && slices.Equal(old.lits, r.lits) {
		r.lits = old.lits // "$y = $x;" again and again
	} else if len(r.lits) > 0 {
		r.lits = slices.Clone(r.lits)
	}
	if ok {
		*old = r
		return
	}
	if s.st.nvars >= maxVars {
		if old := s.scope.lookup(name); old != nil {
			*old = varRec{unknown: true}
		}
		return
	}
	s.st.nvars++
	if s.scope.vars == nil {
		s.scope.vars = make(map[string]*varRec)
	}
	p := new(varRec) // not &r: r would escape, and every call would allocate
	*p = r
	s.scope.vars[string(name)] = p
}

// maxVars bounds the variables recorded in one Layers call (~150 bytes
// each): a file of nothing but "$v1='x';$v2='x';..." would otherwise hold
// 15 bytes per byte of input.
const maxVars = 1 << 16

// scanner makes one linear pass over one buffer (the input or a decoded
// layer): it tries the evaluator at every call of a known function, every
// "$var(" and every assignment, collects blob candidates, and feeds every
// token to the escape and chr() rewriters.
type scanner struct {
	st     *state
	buf    []byte
	depth  int      // 0 for the input, n for a layer decoded n times
	prefix []string // chain of the layer being scanned
	scope  *scope

	consumed int // calls before this offset were part of an emitted layer
	skipTo   int // calls before this offset are skipped after a nesting-limit failure

	failed   map[int]bool // starts of long expressions that failed to evaluate
	blobs    []token
	usedLits map[int]bool // long literals consumed through variables

	esc escWatch
	chr chrWatch
	ev  evaluator // reused by every attempt (see newEval)
}

// startsHTML tells how to lex a buffer: a file with an open tag starts in
// inline HTML; code without one (eval'd code, a fragment) is PHP throughout.
// A decoded layer that starts with '<' or "?>" is a file too.
func startsHTML(buf []byte, layer bool) bool {
	if !layer {
		lx := lexer{buf: buf}
		return lx.skipHTML() // an open tag somewhere (not "<?xml")
	}
	t := bytes.TrimLeft(buf, " \t\r\n\xef\xbb\xbf")
	return len(t) > 0 && t[0] == '<' || bytes.HasPrefix(t, []byte("?>"))
}

func (s *scanner) run() {
	lx := newLexer(s.buf, startsHTML(s.buf, s.depth > 0))
	// A rewrite copies the whole buffer: collect nothing for one that
	// cannot be paid for (spans would cost up to 5 bytes per byte).
	s.esc.off = len(s.buf) > s.st.b.left
	s.chr.off = s.esc.off
	var prev, t token
	for !s.st.stop {
		lx.scan(&t)
		if t.kind == tEOF {
			break
		}
		s.esc.feed(s.buf, &t)
		s.chr.feed(s, &t)
		if t.start >= s.consumed && t.start >= s.skipTo {
			switch t.kind {
			case tIdent:
				s.tryCall(&t, &prev, lx)
			case tVar:
				s.tryVar(&t, &prev, lx)
			case tString:
				if t.ce-t.cs >= blobMinLen && t.static() {
					s.blobs = append(s.blobs, t)
				}
			}
		}
		prev = t
	}
	s.chr.finish(s)
	if s.st.stop {
		return
	}
	s.doBlobs()
	s.esc.emit(s)
	s.chr.emit(s)
}

// memberAccess reports whether a name after prev is a method, property or
// declaration rather than a call of the global function.
func memberAccess(prev *token) bool {
	return prev.kind == tOp && (prev.op == "->" || prev.op == "?->" || prev.op == "::" || prev.op == "$")
}

// newEval resets the scanner's evaluator for an attempt at lx. Attempts
// never overlap (the scanner waits for each), so one evaluator is reused.
func (s *scanner) newEval(lx lexer) *evaluator {
	lits := s.ev.lits[:0]
	s.ev = evaluator{sc: s, lx: lx, lits: lits}
	return &s.ev
}

// nextByte returns the first byte after pos that is not white space, or 0.
func nextByte(buf []byte, pos int) byte {
	for ; pos < len(buf); pos++ {
		if !isSpace(buf[pos]) {
			return buf[pos]
		}
	}
	return 0
}

// tryCall evaluates from a call of a known function.
func (s *scanner) tryCall(t, prev *token, lx lexer) {
	name := s.buf[t.start:t.end]
	if !maybeFunc(name) {
		return
	}
	f, ok := lookupFunc(name)
	if !ok || f.kind == fnChr || f.kind == fnSubstr || f.kind == fnReplace || memberAccess(prev) {
		return
	}
	if prev.kind == tIdent && bytes.EqualFold(s.buf[prev.start:prev.end], []byte("function")) {
		return
	}
	if c := nextByte(s.buf, lx.pos); c != '(' && c != '/' && c != '#' {
		return
	}
	peek := lx
	if n := peek.next(); !n.isOp("(") {
		return
	}
	e := s.newEval(lx)
	v, sink, ok := e.entry(name)
	s.finish(e, v, sink, ok)
}

// tryVar handles "$x = ...", "$x .= ..." and "$f(...)".
func (s *scanner) tryVar(t, prev *token, lx lexer) {
	switch nextByte(s.buf, lx.pos) {
	case '(', '=', '.', '^', '|', '&', '/', '#':
	default:
		return
	}
	if memberAccess(prev) {
		return
	}
	name := s.buf[t.start+1 : t.end]
	peek := lx
	n := peek.next()
	switch {
	case n.isOp("("):
		rec := s.scope.lookup(name)
		if rec == nil || rec.unknown {
			return
		}
		e := s.newEval(lx)
		e.lits = append(e.lits, rec.lits...)
		v, sink, ok := e.entry(funcName(rec.v.data))
		s.finish(e, v, sink, ok)
	case n.isOp("=") || n.isOp(".=") || n.isOp("^=") || n.isOp("|=") || n.isOp("&="):
		if !s.maybeStatic(peek) {
			s.forget(name)
			return
		}
		e := s.newEval(peek)
		v, ok := e.expr()
		if ok {
			end := e.next()
			ok = end.kind == tEOF || end.kind == tOp && (end.op == ";" || end.op == ")" || end.op == "," || end.op == "]")
		}
		if !ok || v.bare {
			s.forget(name)
			s.giveUp(e)
			return
		}
		switch n.op {
		case ".=":
			v, ok = s.appendVar(name, v)
		case "^=", "|=", "&=":
			ok = false
			if r := s.scope.lookup(name); r != nil && !r.unknown {
				v, ok = e.bitOp(n.op[0], r.v, v)
			}
		}
		if !ok {
			s.forget(name)
			return
		}
		e.lits = sortedUnique(e.lits)
		s.setVar(name, s.newRec(v, e.lits))
		if decodes(v.chain) && !xorNoise(v) {
			s.emitFrom(e, v)
		}
	}
}

// maybeStatic is a cheap look at the first token of an assignment's right
// side: most assignments in real code start with a call or variable that
// cannot be evaluated, and need no evaluator.
func (s *scanner) maybeStatic(lx lexer) bool {
	t := lx.next()
	switch t.kind {
	case tString, tNumber:
		return true
	case tIdent:
		if _, ok := lookupFunc(s.buf[t.start:t.end]); ok {
			return true
		}
		// A bare word under a bitwise operator ("$x = Abc^'...';").
		n := lx.next()
		return n.isOp("^") || n.isOp("|") || n.isOp("&") || n.isOp(".")
	case tOp:
		return t.op == "(" || t.op == "@" || t.op == "\\" || t.op == "~"
	case tVar:
		r := s.scope.lookup(s.buf[t.start+1 : t.end])
		return r != nil && !r.unknown
	}
	return false
}

// forget records that $name now holds something unknown. Nothing needs
// recording when it never held a known value.
func (s *scanner) forget(name []byte) {
	if r := s.scope.lookup(name); r != nil && !r.unknown {
		s.setVar(name, varRec{unknown: true})
	}
}

// appendVar computes $name .= v. The record keeps spare capacity so that a
// run of appends is linear; values handed out are capacity-clipped, so the
// in-place append is never seen by them.
func (s *scanner) appendVar(name []byte, v value) (value, bool) {
	var old *varRec
	if s.scope.vars != nil {
		old = s.scope.vars[string(name)]
	}
	if old == nil {
		if r := s.scope.lookup(name); r != nil {
			old = &varRec{v: r.v, unknown: r.unknown} // copy from the parent scope
			old.v.owned = false
		}
	}
	if old == nil {
		return v, true // PHP: appending to an undefined variable starts from ""
	}
	if old.unknown || old.v.broken || v.broken {
		return value{}, false
	}
	chain, ok := mergeChain(old.v.chain, v.chain)
	if !ok {
		return value{}, false
	}
	data := old.v.data
	if !old.v.owned || len(data)+len(v.data) > cap(data) {
		c := max(2*(len(data)+len(v.data)), 64)
		if !s.st.b.take(c) {
			return value{}, false
		}
		// The old buffer stays charged: clipped slices of it may live on.
		bigger := make([]byte, len(data), c)
		copy(bigger, data)
		data = bigger
	}
	data = append(data, v.data...)
	return value{data: data, chain: chain, owned: true}, true
}

// finish emits the result of a call attempt if it is a layer.
func (s *scanner) finish(e *evaluator, v value, sink, ok bool) {
	if !ok || v.bare {
		s.giveUp(e)
		return
	}
	if sink {
		ok = false
		for _, st := range v.chain {
			if st != StepVariable {
				ok = true
			}
		}
	} else {
		ok = decodes(v.chain) && !xorNoise(v)
	}
	if ok {
		s.emitFrom(e, v)
	}
}

// giveUp skips the calls inside what a failed attempt read when it failed
// on a bound (nesting, skipped arguments): trying each of them would read
// the same tokens again, quadratic on hostile input.
func (s *scanner) giveUp(e *evaluator) {
	if e.nestHit || e.gaveUp {
		s.skipTo = max(s.skipTo, e.lastEnd)
	}
}

// emitFrom emits a layer an evaluator produced and marks what it consumed.
func (s *scanner) emitFrom(e *evaluator, v value) {
	s.consumed = e.lastEnd
	s.markUsed(e.lits)
	s.st.emit(s, v.data, v.owned, v.chain, true)
}
