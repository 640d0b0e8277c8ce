package decode

// The two rewriters turn a buffer into a copy that a signature matcher can
// read: escaped strings decoded in place ("escapes"), chr() concatenations
// replaced by the string they build ("chr"). Each sees every token of the
// buffer once, in order, and costs nothing until something qualifies.

// minRewrite is how many numeric escapes (or chr() calls) a string (or
// concatenation) needs before it is rewritten.
const minRewrite = 4

// span is a replacement of buf[start:end]; data nil means "unescape the
// double-quoted content".
type span struct {
	start, end int
	quote      byte // for unescaping: '"', '`' or 0 (heredoc)
	data       []byte
}

// escWatch collects double-quoted and heredoc literals with many escapes.
type escWatch struct {
	spans []span
	off   bool // the rewrite cannot be paid for: collect nothing
}

func (w *escWatch) feed(buf []byte, t *token) {
	if w.off || t.kind != tString || t.esc < minRewrite || t.sk != sDouble && t.sk != sHeredoc {
		return
	}
	q := byte('"')
	if t.sk == sHeredoc {
		q = 0
	}
	w.spans = append(w.spans, span{start: t.cs, end: t.ce, quote: q})
}

func (w *escWatch) emit(s *scanner) {
	if len(w.spans) > 0 {
		if out, ok := rewrite(&s.st.b, s.buf, w.spans); ok {
			s.st.emit(s, out, true, chainEscapes, false)
		}
	}
}

// chrWatch finds concatenations of chr(N) calls and literals, as a state
// machine over the token stream. A run starts at a chr() call or at one of
// the (at most maxPending) literals just before it, and ends at the first
// token that cannot continue it.
type chrWatch struct {
	off      bool // the rewrite cannot be paid for: watch nothing
	state    int
	pending  [maxPending]token // literals of the run before its first chr()
	npending int
	chrs     int
	start    int    // first byte of the run
	end      int    // end of its last complete item
	val      []byte // value of the run once it has a chr() (scratch)
	chrStart int    // start of the chr() call being read
	num      int64
	spans    []span
}

const maxPending = 8

// chrWatch states.
const (
	cwIdle      = iota
	cwAfterItem // after a literal or chr(N): expects '.'
	cwNextItem  // after '.': expects a literal or chr
	cwOpen      // after chr: expects '('
	cwNum       // expects the number
	cwClose     // expects ')'
)

func (w *chrWatch) feed(s *scanner, t *token) {
	if w.off {
		return
	}
	for {
		switch w.state {
		case cwIdle, cwNextItem:
			if w.item(s, t) {
				return
			}
			if w.state == cwNextItem {
				w.finish(s)
				continue // t may start a new run
			}
			return
		case cwAfterItem:
			if t.isOp(".") {
				w.state = cwNextItem
				return
			}
			w.finish(s)
			continue
		case cwOpen:
			if t.isOp("(") {
				w.state = cwNum
				return
			}
		case cwNum:
			if t.kind == tNumber {
				if n, ok := parseInt(s.buf[t.start:t.end]); ok {
					w.num = n
					w.state = cwClose
					return
				}
			}
		case cwClose:
			if t.isOp(")") {
				w.addChr(s, t.end)
				return
			}
		}
		// A chr( that did not complete: the run ends before it.
		w.finish(s)
	}
}

// item starts or continues the run with t; false if t is not an item.
func (w *chrWatch) item(s *scanner, t *token) bool {
	switch {
	case t.kind == tString && t.static() && t.sk != sHeredoc && t.sk != sNowdoc:
		if w.chrs == 0 {
			if w.npending == maxPending {
				copy(w.pending[:], w.pending[1:])
				w.npending--
			}
			w.pending[w.npending] = *t
			w.npending++
		} else {
			v, _ := literalValue(s.buf, t)
			if !w.grow(s, len(v)) {
				w.reset()
				return true
			}
			w.val = append(w.val, v...)
			w.end = t.end
		}
		w.state = cwAfterItem
		return true
	case t.kind == tIdent && t.end-t.start == 3 && (s.buf[t.start]|0x20) == 'c' && (s.buf[t.start+1]|0x20) == 'h' && (s.buf[t.start+2]|0x20) == 'r':
		w.chrStart = t.start
		w.state = cwOpen
		return true
	}
	return false
}

// grow makes room for n more bytes of run value within the budget.
func (w *chrWatch) grow(s *scanner, n int) bool {
	if len(w.val)+n <= cap(w.val) {
		return true
	}
	c := max(2*cap(w.val), len(w.val)+n, 64)
	if c > s.st.b.left {
		return false
	}
	bigger := make([]byte, len(w.val), c)
	copy(bigger, w.val)
	w.val = bigger
	return true
}

func (w *chrWatch) addChr(s *scanner, end int) {
	if w.chrs == 0 {
		w.val = w.val[:0]
		w.start = w.chrStart
		if w.npending > 0 {
			w.start = w.pending[0].start
		}
		for i := 0; i < w.npending; i++ {
			v, _ := literalValue(s.buf, &w.pending[i])
			if !w.grow(s, len(v)) {
				w.reset()
				return
			}
			w.val = append(w.val, v...)
		}
		w.npending = 0
	}
	if !w.grow(s, 1) {
		w.reset()
		return
	}
	w.val = append(w.val, byte(w.num))
	w.chrs++
	w.end = end
	w.state = cwAfterItem
}

// finish ends the current run, keeping it if it has enough chr() calls.
func (w *chrWatch) finish(s *scanner) {
	if w.chrs >= minRewrite && s.st.b.take(len(w.val)) {
		w.spans = append(w.spans, span{start: w.start, end: w.end, data: append([]byte(nil), w.val...)})
	}
	w.reset()
}

func (w *chrWatch) reset() {
	w.state, w.npending, w.chrs = cwIdle, 0, 0
	w.val = w.val[:0]
}

func (w *chrWatch) emit(s *scanner) {
	if len(w.spans) > 0 {
		if out, ok := rewrite(&s.st.b, s.buf, w.spans); ok {
			s.st.emit(s, out, true, chainChr, false)
		}
	}
}

// rewrite copies buf with the spans (in order, not overlapping) replaced:
// unescaped in place, or by their data between double quotes. Neither is
// ever longer than what it replaces, so the copy is at most len(buf) bytes.
func rewrite(b *budget, buf []byte, spans []span) ([]byte, bool) {
	out, ok := b.alloc(len(buf))
	if !ok {
		return nil, false
	}
	pos := 0
	for _, sp := range spans {
		if sp.start < pos {
			continue
		}
		out = append(out, buf[pos:sp.start]...)
		if sp.data != nil {
			out = append(out, '"')
			out = append(out, sp.data...)
			out = append(out, '"')
		} else {
			out = append(out, unescapeDouble(buf[sp.start:sp.end], sp.quote)...)
		}
		pos = sp.end
	}
	out = append(out, buf[pos:]...)
	b.refund(cap(out) - len(out))
	return out[:len(out):len(out)], true
}
