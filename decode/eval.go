package decode

import (
	"bytes"
	"strconv"
)

// evaluator evaluates one static expression from a lexer position, for one
// attempt of the scanner (which resets and reuses it).
type evaluator struct {
	sc      *scanner
	lx      lexer
	pk      token
	hasPk   bool
	lastEnd int   // end of the last consumed token
	nest    int   // current nesting (see maxNest)
	nestHit bool  // the attempt failed on maxNest
	gaveUp  bool  // the attempt failed on maxSkip
	ntok    int   // tokens consumed
	lits    []int // starts of long literals read, directly or through variables
}

func (e *evaluator) next() token {
	e.ntok++
	if e.hasPk {
		e.hasPk = false
		e.lastEnd = e.pk.end
		return e.pk
	}
	var t token
	e.lx.scan(&t)
	e.lastEnd = t.end
	return t
}

func (e *evaluator) peek() *token {
	if !e.hasPk {
		e.lx.scan(&e.pk)
		e.hasPk = true
	}
	return &e.pk
}

func (e *evaluator) expect(op string) bool {
	t := e.next()
	return t.isOp(op)
}

func (e *evaluator) budget() *budget { return &e.sc.st.b }

// expr evaluates a static expression: bitwise operators over
// concatenations of terms. A long expression that fails for what it is (not
// for a bound) is remembered, so the calls nested around it do not read it
// again.
func (e *evaluator) expr() (value, bool) {
	start, ntok := e.peek().start, e.ntok
	if e.sc.failed[start] {
		return value{}, false
	}
	v, ok := e.bitwise(0)
	if !ok && (e.ntok-ntok >= memoMinTokens || e.lastEnd-start >= memoMinBytes) && !e.nestHit && !e.gaveUp {
		if e.sc.failed == nil {
			e.sc.failed = make(map[int]bool)
		}
		e.sc.failed[start] = true
	}
	return v, ok
}

// concat evaluates a concatenation of terms.
func (e *evaluator) concat() (value, bool) {
	v, ok := e.term()
	if !ok || !e.peek().isOp(".") {
		return v, ok
	}
	// Gather a few parts before allocating anything: most concatenations in
	// real code fail (a part is not static) and then cost nothing.
	var few [8]value
	parts := append(few[:0], v)
	for len(parts) < len(few) && e.peek().isOp(".") {
		e.next()
		w, ok := e.term()
		if !ok {
			return value{}, false
		}
		parts = append(parts, w)
	}
	b := e.budget()
	size := 0
	for _, p := range parts {
		size += len(p.data)
	}
	c := size
	if e.peek().isOp(".") {
		c = max(2*size, 64) // more to come
	}
	if !b.take(c) {
		return value{}, false
	}
	charged := c
	acc := make([]byte, 0, c)
	// The result is bare if a part is, const-like if all parts are.
	r := value{chain: v.chain, owned: true, constLike: true}
	add := func(p *value) {
		r.broken = r.broken || p.broken
		r.bare = r.bare || p.bare
		r.constLike = r.constLike && p.constLike
	}
	for i := range parts {
		if r.chain, ok = mergeChain(r.chain, parts[i].chain); !ok {
			b.give(charged)
			return value{}, false
		}
		acc = append(acc, parts[i].data...)
		add(&parts[i])
	}
	for e.peek().isOp(".") {
		e.next()
		w, ok := e.term()
		if ok {
			r.chain, ok = mergeChain(r.chain, w.chain)
		}
		if ok && len(acc)+len(w.data) > cap(acc) {
			n := max(len(acc)+len(w.data), 2*cap(acc))
			if ok = b.take(n - cap(acc)); ok {
				charged += n - cap(acc)
				bigger := make([]byte, len(acc), n)
				copy(bigger, acc)
				acc = bigger
			}
		}
		if !ok {
			b.give(charged)
			return value{}, false
		}
		acc = append(acc, w.data...)
		add(&w)
	}
	// Keep the capacity charged but hand out a clipped slice.
	r.data = acc[:len(acc):len(acc)]
	return r, true
}

// term evaluates one operand: a literal, a call, a variable, a
// parenthesised expression, '@' or a cast before any of these.
func (e *evaluator) term() (value, bool) {
	if e.nest >= maxNest {
		e.nestHit = true
		return value{}, false
	}
	e.nest++
	v, ok := e.term1()
	e.nest--
	return v, ok
}

func (e *evaluator) term1() (value, bool) {
	t := e.next()
	switch t.kind {
	case tString:
		return e.literal(&t)
	case tNumber:
		s := e.lx.buf[t.start:t.end]
		if n, ok := parseInt(s); ok {
			return value{data: []byte(strconv.FormatInt(n, 10)), num: true}, true
		}
	case tIdent:
		name := e.lx.buf[t.start:t.end]
		if !e.peek().isOp("(") {
			return e.bareWord(name)
		}
		return e.call(name)
	case tVar:
		name := e.lx.buf[t.start+1 : t.end]
		if e.peek().isOp("(") {
			return e.varCall(name)
		}
		return e.variable(name)
	case tOp:
		switch t.op {
		case "@":
			return e.term()
		case "~":
			if v, ok := e.term(); ok {
				return e.not(v)
			}
		case "\\": // \base64_decode: the global namespace
			if n := e.next(); n.kind == tIdent {
				return e.call(e.lx.buf[n.start:n.end])
			}
		case "(":
			if p := e.peek(); p.kind == tIdent && isStringCast(e.lx.buf[p.start:p.end]) {
				save, savePk, saveHas := e.lx, e.pk, e.hasPk
				e.next()
				if e.peek().isOp(")") {
					e.next()
					v, ok := e.term()
					v.num = false // (string)1 is "1"
					return v, ok
				}
				e.lx, e.pk, e.hasPk = save, savePk, saveHas
			}
			v, ok := e.expr()
			if !ok || !e.expect(")") {
				return value{}, false
			}
			return v, true
		}
	}
	return value{}, false
}

func isStringCast(s []byte) bool {
	return bytes.EqualFold(s, []byte("string")) || bytes.EqualFold(s, []byte("binary"))
}

// literal returns the value of a string literal token.
func (e *evaluator) literal(t *token) (value, bool) {
	if !t.static() {
		return value{}, false
	}
	b := e.budget()
	raw := t.ce - t.cs
	copies := t.flags&fBackslash != 0 || t.indent > 0 // see literalValue
	if copies && !b.take(raw) {
		return value{}, false
	}
	data, owned := literalValue(e.lx.buf, t)
	if owned {
		b.refund(raw - len(data))
	} else if copies {
		b.refund(raw)
	}
	if raw >= blobMinLen {
		e.lits = append(e.lits, t.start)
	}
	v := value{data: data, owned: owned}
	if t.esc > 0 {
		v.chain = chainEscapes
	}
	return v, true
}

// variable resolves $name through the last static assignment seen.
func (e *evaluator) variable(name []byte) (value, bool) {
	rec := e.sc.scope.lookup(name)
	if rec == nil || rec.unknown || rec.vchain == nil {
		return value{}, false
	}
	e.lits = append(e.lits, rec.lits...)
	v := rec.v
	v.data = v.data[:len(v.data):len(v.data)]
	v.chain = rec.vchain
	return v, true
}

// varCall evaluates $f(...) where $f holds the name of a known function.
// Resolving the name adds no step: the chain records what was decoded.
func (e *evaluator) varCall(name []byte) (value, bool) {
	rec := e.sc.scope.lookup(name)
	if rec == nil || rec.unknown {
		return value{}, false
	}
	e.lits = append(e.lits, rec.lits...)
	return e.call(funcName(rec.v.data))
}

// funcName trims a function name held in a string ("\\base64_decode "). A
// value too long to be one of ours is not trimmed (it may be megabytes of
// white space) and yields nil.
func funcName(s []byte) []byte {
	if len(s) > maxFuncName {
		return nil
	}
	return bytes.TrimPrefix(bytes.TrimSpace(s), []byte{'\\'})
}

// maxFuncName bounds a function name held in a variable, padding included.
const maxFuncName = 64

// call evaluates a call of a known pure function; e is positioned after the
// name. Entry-only functions (eval, preg_replace, ...) fail here.
func (e *evaluator) call(name []byte) (value, bool) {
	f, ok := lookupFunc(name)
	if !ok || !e.peek().isOp("(") {
		return value{}, false
	}
	e.next()
	switch f.kind {
	case fnUnary:
		arg, ok := e.expr()
		if !ok || !e.closeCall() {
			return value{}, false
		}
		return e.apply(f.step, f.apply, arg)
	case fnPack:
		return e.pack()
	case fnChr:
		n, ok := e.intArg()
		if !ok || !e.expect(")") || !e.budget().take(1) {
			return value{}, false
		}
		return value{data: []byte{byte(n)}, chain: chainChr, owned: true}, true
	case fnJoin:
		return e.join()
	case fnSubstr:
		return e.substr()
	case fnReplace:
		return e.replace()
	}
	return value{}, false
}

// apply runs a decoder on arg. A decoder that fails on bad data ends the
// chain: with the last good value (marked broken) if arg was itself decoded,
// else the evaluation fails.
func (e *evaluator) apply(step string, fn func(*budget, []byte) ([]byte, bool), arg value) (value, bool) {
	if arg.broken {
		return arg, true
	}
	if arg.bare || !e.budget().spend(len(arg.data)) {
		return value{}, false
	}
	out, ok := fn(e.budget(), arg.data)
	if !ok {
		if len(arg.chain) > 0 {
			arg.broken = true
			return arg, true
		}
		return value{}, false
	}
	chain, ok := appendStep(arg.chain, step)
	if !ok {
		return value{}, false
	}
	return value{data: out, chain: chain, owned: true}, true
}

// closeCall consumes the rest of an argument list: ')' or ', extra args)'.
func (e *evaluator) closeCall() bool {
	t := e.next()
	if t.isOp(")") {
		return true
	}
	if !t.isOp(",") {
		return false
	}
	return e.skipTo(")")
}

// skipTo skips balanced tokens up to and including the closer at depth 0:
// ")" closes the argument list, "," the current argument (an argument list
// that closes first fails: create_function('$a') has no code). Arguments skipped
// are short in real code (a length, a flag); past maxSkip tokens the attempt
// gives up and the scanner passes over what was read, which keeps
// unterminated input linear.
func (e *evaluator) skipTo(closer string) bool {
	depth := 0
	for range maxSkip {
		t := e.next()
		if t.kind == tEOF {
			return false
		}
		if t.kind != tOp {
			continue
		}
		switch t.op {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			if depth == 0 {
				return t.op == ")" && closer == ")"
			}
			depth--
		case ",":
			if depth == 0 && closer == "," {
				return true
			}
		}
	}
	e.gaveUp = true
	return false
}
