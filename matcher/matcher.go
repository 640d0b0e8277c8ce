// Package matcher finds which rules of a signatures.Set hit a buffer: one
// pass of a literal prefilter over all rules (a folded Aho-Corasick DFA for
// short and case-insensitive literals, q-gram sampling for long ones), then
// each candidate rule's confirming regex on windows around its hits.
package matcher

import (
	"sort"
	"sync"

	"github.com/spamgear/spamgear/signatures"
)

// Finding is one rule that hit a buffer.
type Finding struct {
	Rule    *signatures.Rule
	Offset  int    // byte offset of the match
	End     int    // byte offset just past the match
	Line    int    // 1-based line of Offset
	Snippet string // a short, escaped excerpt starting at Offset
	// Layers, when set, are the obfuscation layers undone to reach the
	// decoded text the rule hit (e.g. base64, gzinflate); Offset, End,
	// Line and Snippet are then positions in that text, not in the file.
	Layers []string
}

// Matcher reports which rules hit a buffer. Implementations are safe for
// concurrent use.
type Matcher interface {
	// Match returns at most one Finding per rule that applies to kinds and
	// hits buf, in rule order. buf is not retained.
	Match(buf []byte, kinds signatures.Kind) []Finding
}

var (
	_ Matcher = (*Engine)(nil)
	_ Matcher = (*Naive)(nil)
)

// Options tune the engine; the zero value is sensible.
type Options struct {
	// LongLiteral is the length from which case-sensitive literals go to
	// the q-gram sampler instead of the automaton (default 16).
	LongLiteral int
	// MaxHitsPerLiteral bounds the hits recorded per literal and buffer;
	// a rule with a literal past it runs its regex on the whole buffer
	// (default 32).
	MaxHitsPerLiteral int
}

// Engine is the fast Matcher. Build it once per rule set with New.
type Engine struct {
	set       *signatures.Set
	rules     []*signatures.Rule
	litRules  [][]int32 // literal id → rules using it
	litReqs   [][]int32 // literal id → rules requiring it (Rule.Requires)
	litLen    []int32
	dfa       *foldDFA
	dfaLit    []int32  // automaton literal → literal id
	dfaExact  [][]byte // automaton literal → bytes to verify (nil if case-insensitive)
	samplers  []*sampler
	smpLit    [][]int32 // per sampler: sampler literal → literal id
	always    []int32   // rules with no literals: candidates for every buffer
	maxHits   int
	pool      sync.Pool
	nLiterals int
}

// maxAnchoredFactor multiplies MaxHitsPerLiteral for anchored rules.
const maxAnchoredFactor = 1024

type rawHit struct {
	rule       int32
	start, end int32
}

type scratch struct {
	gen       uint32
	ruleStamp []uint32
	ruleCount []int32 // hits kept per rule (valid where ruleStamp is gen)
	hits      []rawHit
	dense     []uint32 // rule stamp: rule has a literal past MaxHitsPerLiteral
	req       []uint32 // rule stamp: one of the rule's Requires literals occurred
}

// New compiles the prefilter for set.
func New(set *signatures.Set, opts Options) *Engine {
	if opts.LongLiteral <= gramLen {
		opts.LongLiteral = 16
	}
	if opts.MaxHitsPerLiteral <= 0 {
		opts.MaxHitsPerLiteral = 32
	}
	e := &Engine{set: set, rules: set.Rules(), maxHits: opts.MaxHitsPerLiteral}
	type key struct {
		text   string
		nocase bool
	}
	ids := map[key]int32{}
	var lits []signatures.Literal
	intern := func(l signatures.Literal) int32 {
		k := key{string(l.Text), l.NoCase}
		if l.NoCase {
			k.text = string(signatures.FoldASCII(l.Text))
		}
		id, ok := ids[k]
		if !ok {
			id = int32(len(lits))
			ids[k] = id
			lits = append(lits, signatures.Literal{Text: []byte(k.text), NoCase: l.NoCase})
			e.litRules = append(e.litRules, nil)
			e.litReqs = append(e.litReqs, nil)
			e.litLen = append(e.litLen, int32(len(l.Text)))
		}
		return id
	}
	addRule := func(list [][]int32, id, ri int32) {
		if rs := list[id]; len(rs) == 0 || rs[len(rs)-1] != ri {
			list[id] = append(rs, ri)
		}
	}
	for ri, r := range e.rules {
		if len(r.Literals) == 0 {
			e.always = append(e.always, int32(ri))
		}
		for _, l := range r.Literals {
			addRule(e.litRules, intern(l), int32(ri))
		}
		for _, l := range r.Requires {
			addRule(e.litReqs, intern(l), int32(ri))
		}
	}
	e.nLiterals = len(lits)
	var dfaLits []signatures.Literal
	var long [][]byte
	var longIDs []int32
	for id, l := range lits {
		if !l.NoCase && len(l.Text) >= opts.LongLiteral {
			long = append(long, l.Text)
			longIDs = append(longIDs, int32(id))
			continue
		}
		dfaLits = append(dfaLits, l)
		e.dfaLit = append(e.dfaLit, int32(id))
		if l.NoCase {
			e.dfaExact = append(e.dfaExact, nil)
		} else {
			e.dfaExact = append(e.dfaExact, l.Text)
		}
	}
	e.dfa = buildFoldDFA(dfaLits)
	e.buildSamplers(long, longIDs, opts.LongLiteral)
	e.pool.New = func() any {
		return &scratch{ruleStamp: make([]uint32, len(e.rules)), ruleCount: make([]int32, len(e.rules)), dense: make([]uint32, len(e.rules)), req: make([]uint32, len(e.rules))}
	}
	return e
}

// samplerBands are the minimum lengths of further sampler bands: longer
// literals could get their own sampler with a longer stride, but measured
// on real PHP a long stride leaves no room to avoid common grams (runs of
// white space) and verification dominates: one band with stride 9 looks
// at 3% of its samples, stride 33 at 15% with 100 times more verifications.
var samplerBands []int

func (e *Engine) buildSamplers(long [][]byte, ids []int32, minLen int) {
	bands := append([]int{minLen}, samplerBands...)
	for bi, lo := range bands {
		hi := int(^uint(0) >> 1)
		if bi+1 < len(bands) {
			hi = bands[bi+1]
		}
		if lo < minLen {
			continue
		}
		var ls [][]byte
		var li []int32
		for i, l := range long {
			if len(l) >= lo && len(l) < hi {
				ls = append(ls, l)
				li = append(li, ids[i])
			}
		}
		if len(ls) == 0 {
			continue
		}
		e.samplers = append(e.samplers, buildSampler(ls, lo))
		e.smpLit = append(e.smpLit, li)
	}
}

// Set returns the rule set the engine was built for.
func (e *Engine) Set() *signatures.Set { return e.set }

// Match implements Matcher.
func (e *Engine) Match(buf []byte, kinds signatures.Kind) []Finding {
	sc := e.pool.Get().(*scratch)
	defer e.pool.Put(sc)
	sc.gen++
	if sc.gen == 0 { // wrapped: reset stamps
		clear(sc.ruleStamp)
		clear(sc.dense)
		clear(sc.req)
		sc.gen = 1
	}
	sc.hits = sc.hits[:0]
	record := func(lit int32, start, end int) bool {
		for _, ri := range e.litReqs[lit] {
			sc.req[ri] = sc.gen
		}
		for _, ri := range e.litRules[lit] {
			r := e.rules[ri]
			if r.Kinds&kinds == 0 || (r.Boundary && start > 0 && signatures.NotFreeStanding(buf[start-1])) {
				continue
			}
			// Only hits a rule keeps count towards its limit, so decoys it
			// rejects cannot push a real hit out. Anchored checks cost
			// little each, so they go on much longer than windowed ones
			// before the whole buffer is searched.
			if sc.ruleStamp[ri] != sc.gen {
				sc.ruleStamp[ri] = sc.gen
				sc.ruleCount[ri] = 0
			}
			sc.ruleCount[ri]++
			if limit := int32(e.maxHits); sc.ruleCount[ri] > limit && (!r.Anchored || sc.ruleCount[ri] > limit*maxAnchoredFactor) {
				sc.dense[ri] = sc.gen // its first hits are recorded: the rule stays a candidate
				continue
			}
			sc.hits = append(sc.hits, rawHit{rule: ri, start: int32(start), end: int32(end)})
		}
		return true
	}
	e.dfa.scan(buf, func(dl int32, end int) bool {
		if ex := e.dfaExact[dl]; ex != nil && string(buf[end-len(ex):end]) != string(ex) {
			return true
		}
		lit := e.dfaLit[dl]
		return record(lit, end-int(e.litLen[lit]), end)
	})
	for si, sp := range e.samplers {
		ids := e.smpLit[si]
		sp.scan(buf, func(sl int32, start int) bool {
			lit := ids[sl]
			return record(lit, start, start+int(e.litLen[lit]))
		})
	}
	for _, ri := range e.always {
		if e.rules[ri].Kinds&kinds != 0 {
			sc.dense[ri] = sc.gen
			sc.hits = append(sc.hits, rawHit{rule: ri})
		}
	}
	if len(sc.hits) == 0 {
		return nil
	}
	hits := sc.hits
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].rule != hits[j].rule {
			return hits[i].rule < hits[j].rule
		}
		return hits[i].start < hits[j].start
	})
	var out []Finding
	for i := 0; i < len(hits); {
		j := i + 1
		for j < len(hits) && hits[j].rule == hits[i].rule {
			j++
		}
		ri := hits[i].rule
		if len(e.rules[ri].Requires) > 0 && sc.req[ri] != sc.gen {
			i = j
			continue
		}
		if s, en, ok := e.confirm(e.rules[ri], buf, hits[i:j], sc.dense[ri] == sc.gen); ok {
			out = append(out, newFinding(e.rules[ri], buf, s, en))
		}
		i = j
	}
	return out
}

// confirm runs a candidate rule's regex on the windows around its hits
// (merged where they overlap), or on the whole buffer when the rule asks
// or its literals hit too often to be worth windowing.
func (e *Engine) confirm(r *signatures.Rule, buf []byte, hits []rawHit, whole bool) (int, int, bool) {
	if r.Confirm == nil {
		if len(hits) == 0 {
			return 0, 0, false
		}
		return int(hits[0].start), int(hits[0].end), true
	}
	if whole && r.Anchored {
		return r.Unanchored.Find(buf)
	}
	if whole || r.Window < 0 {
		return r.Confirm.Find(buf)
	}
	if r.Anchored {
		for _, h := range hits {
			lo, hi := r.ConfirmWindow(buf, int(h.start), int(h.end))
			if s, en, ok := r.Confirm.Find(buf[lo:hi]); ok {
				return lo + s, lo + en, true
			}
		}
		return 0, 0, false
	}
	curLo, curHi := -1, -1
	for _, h := range hits {
		lo, hi := r.ConfirmWindow(buf, int(h.start), int(h.end))
		if curHi >= 0 && lo <= curHi {
			curHi = max(curHi, hi)
			continue
		}
		if curHi >= 0 {
			if s, en, ok := r.Confirm.Find(buf[curLo:curHi]); ok {
				return curLo + s, curLo + en, true
			}
		}
		curLo, curHi = lo, hi
	}
	if curHi >= 0 {
		if s, en, ok := r.Confirm.Find(buf[curLo:curHi]); ok {
			return curLo + s, curLo + en, true
		}
	}
	return 0, 0, false
}

// Stats describes the compiled prefilter.
type Stats struct {
	Rules, Literals, AlwaysRules int
	DFAStates, DFAClasses        int
	SamplerLiterals              []int // per sampler band
	SamplerSteps                 []int
}

// Stats reports the engine's shape (for --debug and benchmarks).
func (e *Engine) Stats() Stats {
	st := Stats{Rules: len(e.rules), Literals: e.nLiterals, AlwaysRules: len(e.always),
		DFAStates: e.dfa.nstates, DFAClasses: e.dfa.nclass}
	for _, sp := range e.samplers {
		st.SamplerLiterals = append(st.SamplerLiterals, len(sp.lits))
		st.SamplerSteps = append(st.SamplerSteps, sp.step)
	}
	return st
}
