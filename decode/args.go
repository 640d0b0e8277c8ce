package decode

import (
	"bytes"
	"strconv"
)

// Argument parsers of the functions that are more than "decode the first
// argument".

// pack handles pack('H*', hex) and pack('h*', hex); other formats fail.
func (e *evaluator) pack() (value, bool) {
	f, ok := e.expr()
	if !ok || !e.expect(",") {
		return value{}, false
	}
	arg, ok := e.expr()
	if !ok || !e.expect(")") {
		return value{}, false
	}
	if f.bare {
		return value{}, false
	}
	format := bytes.TrimSpace(f.data)
	if len(format) != 2 || format[1] != '*' || format[0] != 'H' && format[0] != 'h' {
		return value{}, false
	}
	lowFirst := format[0] == 'h'
	return e.apply(StepHex, func(b *budget, s []byte) ([]byte, bool) { return hexDecode(b, s, lowFirst, false) }, arg)
}

// intArg parses an integer argument: literals combined with + - * and
// parentheses, as in chr((636-516)). Overflow wraps; only the low byte
// matters to chr.
func (e *evaluator) intArg() (int64, bool) {
	n, ok := e.intTerm()
	for ok {
		p := e.peek()
		switch {
		case p.isOp("+"):
			e.next()
			var m int64
			m, ok = e.intTerm()
			n += m
		case p.isOp("-"):
			e.next()
			var m int64
			m, ok = e.intTerm()
			n -= m
		default:
			return n, true
		}
	}
	return 0, false
}

func (e *evaluator) intTerm() (int64, bool) {
	n, ok := e.intFactor()
	for ok && e.peek().isOp("*") {
		e.next()
		var m int64
		m, ok = e.intFactor()
		n *= m
	}
	return n, ok
}

func (e *evaluator) intFactor() (int64, bool) {
	if e.nest >= maxNest {
		e.nestHit = true
		return 0, false
	}
	e.nest++
	defer func() { e.nest-- }()
	t := e.next()
	switch {
	case t.isOp("-"):
		n, ok := e.intFactor()
		return -n, ok
	case t.isOp("+"):
		return e.intFactor()
	case t.isOp("("):
		n, ok := e.intArg()
		return n, ok && e.expect(")")
	case t.kind == tNumber:
		return parseInt(e.lx.buf[t.start:t.end])
	}
	return 0, false
}

// parseInt parses a PHP integer literal: decimal, 0x hex, 0b binary, 0o or
// leading-zero octal, with '_' separators.
func parseInt(s []byte) (int64, bool) {
	if len(s) > 40 {
		return 0, false
	}
	var buf [40]byte
	t := buf[:0]
	for _, c := range s {
		if c != '_' {
			t = append(t, c)
		}
	}
	base := 10
	switch {
	case len(t) > 2 && t[0] == '0' && (t[1]|0x20) == 'x':
		base, t = 16, t[2:]
	case len(t) > 2 && t[0] == '0' && (t[1]|0x20) == 'b':
		base, t = 2, t[2:]
	case len(t) > 2 && t[0] == '0' && (t[1]|0x20) == 'o':
		base, t = 8, t[2:]
	case len(t) > 1 && t[0] == '0':
		base, t = 8, t[1:]
	}
	n, err := strconv.ParseInt(string(t), base, 64)
	return n, err == nil
}

// join evaluates implode/join of an array literal: (glue, array) or (array).
// The step "join" is recorded only for what looks like obfuscation: an
// empty glue and at least two pieces of at most three bytes each.
func (e *evaluator) join() (value, bool) {
	var glue value
	if !e.arrayStart() {
		var ok bool
		if glue, ok = e.expr(); !ok || glue.broken || glue.bare || !e.expect(",") {
			return value{}, false
		}
		if !e.arrayStart() {
			return value{}, false
		}
	}
	closer := "]"
	if t := e.next(); t.kind == tIdent {
		e.next() // "(" after array
		closer = ")"
	}
	b := e.budget()
	charged := 0
	var acc []byte
	chain := glue.chain
	n, longest := 0, 0
	fail := func() (value, bool) { b.give(charged); return value{}, false }
	for {
		if e.peek().isOp(closer) {
			e.next()
			break
		}
		v, ok := e.expr()
		if !ok {
			return fail()
		}
		if e.peek().isOp("=>") { // a key: the value follows
			e.next()
			if v, ok = e.expr(); !ok {
				return fail()
			}
		}
		if chain, ok = mergeChain(chain, v.chain); !ok || v.broken || v.bare {
			return fail()
		}
		extra := len(v.data)
		if n > 0 {
			extra += len(glue.data)
		}
		if len(acc)+extra > cap(acc) {
			c := max(len(acc)+extra, 2*cap(acc), 64)
			if !b.take(c - cap(acc)) {
				return fail()
			}
			charged += c - cap(acc)
			bigger := make([]byte, len(acc), c)
			copy(bigger, acc)
			acc = bigger
		}
		if n > 0 {
			acc = append(acc, glue.data...)
		}
		acc = append(acc, v.data...)
		n++
		longest = max(longest, len(v.data))
		t := e.next()
		if t.isOp(closer) {
			break
		}
		if !t.isOp(",") {
			return fail()
		}
	}
	if !e.expect(")") {
		return fail()
	}
	if len(glue.data) == 0 && n >= 2 && longest <= 3 {
		var ok bool
		if chain, ok = appendStep(chain, StepJoin); !ok {
			return fail()
		}
	}
	return value{data: acc[:len(acc):len(acc)], chain: chain, owned: true}, true
}

// arrayStart reports whether the next tokens open an array literal.
func (e *evaluator) arrayStart() bool {
	p := e.peek()
	if p.isOp("[") {
		return true
	}
	if p.kind != tIdent || !bytes.EqualFold(e.lx.buf[p.start:p.end], []byte("array")) {
		return false
	}
	save := e.lx
	n := e.lx.next()
	e.lx = save
	return n.isOp("(")
}

// substr evaluates substr(s, start[, length]) with PHP 8 semantics.
func (e *evaluator) substr() (value, bool) {
	v, ok := e.expr()
	if !ok || !e.expect(",") {
		return value{}, false
	}
	start, ok := e.intArg()
	if !ok {
		return value{}, false
	}
	n := int64(len(v.data))
	length := n
	hasLen := false
	switch t := e.next(); {
	case t.isOp(","):
		if length, ok = e.intArg(); !ok || !e.expect(")") {
			return value{}, false
		}
		hasLen = true
	case !t.isOp(")"):
		return value{}, false
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	start = min(start, n)
	end := n
	if hasLen {
		if length < 0 {
			end = max(n+length, start)
		} else {
			end = min(start+length, n)
		}
	}
	v.data = v.data[start:end:end]
	return v, true
}

// replace evaluates str_replace with string (not array) arguments, as in
// str_replace('q', ”, 'bqaqsqeq6q4q_qdqeqcqoqdqe').
func (e *evaluator) replace() (value, bool) {
	var args [3]value
	for i := range args {
		v, ok := e.expr()
		if !ok || v.broken || v.bare || !e.expect([]string{",", ",", ")"}[i]) {
			return value{}, false
		}
		args[i] = v
	}
	search, repl, subject := args[0].data, args[1].data, args[2]
	if len(search) == 0 {
		return subject, true
	}
	if !e.budget().spend(len(subject.data)) {
		return value{}, false
	}
	n := bytes.Count(subject.data, search)
	if n == 0 {
		return subject, true
	}
	size := len(subject.data) + n*(len(repl)-len(search))
	if !e.budget().take(size) {
		return value{}, false
	}
	chain, ok := mergeChain(subject.chain, args[0].chain)
	if ok {
		chain, ok = mergeChain(chain, args[1].chain)
	}
	if !ok {
		return value{}, false
	}
	out := bytes.ReplaceAll(subject.data, search, repl)
	return value{data: out[:len(out):len(out)], chain: chain, owned: true}, true
}

// entry evaluates an expression that starts at a call the scanner found:
// the name token has been consumed (for $f(...), name is $f's value). It
// returns the value, and whether it is code handed to a sink (eval, assert,
// create_function, preg_replace/e) rather than a decoder's output.
func (e *evaluator) entry(name []byte) (v value, sink, ok bool) {
	f, found := lookupFunc(name)
	if !found {
		return value{}, false, false
	}
	switch f.kind {
	case fnEval, fnCreate, fnPreg:
	default:
		v, ok = e.call(name)
		return v, false, ok
	}
	if !e.expect("(") {
		return value{}, false, false
	}
	switch f.kind {
	case fnEval:
		v, ok = e.expr()
		return v, true, ok && !v.bare && e.closeCall()
	case fnCreate:
		if !e.skipTo(",") {
			return value{}, false, false
		}
		v, ok = e.expr()
		return v, true, ok && !v.bare && e.closeCall()
	default: // fnPreg
		pat, ok := e.expr()
		if !ok || pat.bare || !e.expect(",") || !e.budget().spend(len(pat.data)) || !pregHasE(pat.data) {
			return value{}, false, false
		}
		// The subject and the rest are not needed: stop after the replacement.
		rep, ok := e.expr()
		if p := e.peek(); !ok || rep.broken || rep.bare || !p.isOp(",") && !p.isOp(")") {
			return value{}, false, false
		}
		if rep.chain, ok = appendStep(rep.chain, StepPregReplaceE); !ok {
			return value{}, false, false
		}
		return rep, true, true
	}
}

// pregHasE reports whether a PCRE pattern carries the (PHP < 7) e modifier.
func pregHasE(p []byte) bool {
	p = bytes.TrimLeft(p, " \t\r\n\v\f")
	if len(p) < 2 {
		return false
	}
	d := p[0]
	if isIdentChar(d) || d == '\\' {
		return false
	}
	switch d {
	case '(':
		d = ')'
	case '{':
		d = '}'
	case '[':
		d = ']'
	case '<':
		d = '>'
	}
	i := bytes.LastIndexByte(p[1:], d)
	if i < 0 {
		return false
	}
	for _, c := range p[i+2:] {
		if c == 'e' {
			return true
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isSpace(c)) {
			return false
		}
	}
	return false
}
