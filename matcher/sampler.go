package matcher

import (
	"encoding/binary"
	"sort"
)

// gramLen is the q-gram length of the sampler: one unaligned 64-bit load.
const gramLen = 8

// sampler finds long case-sensitive literals without looking at most of
// the text (q-gram sampling, in the family of Wu–Manber): if every literal
// is at least minLen bytes long, any occurrence covers step = minLen-gramLen+1
// consecutive gram positions, so one of them is a multiple of step. The
// sampler hashes only the grams at multiples of step and looks them up in
// a table holding, for each literal, the grams at step consecutive offsets
// (the rarest run of them); a lookup hit is verified against the text.
// Read-only after build: safe for concurrent use.
type sampler struct {
	step   int
	shift  uint
	filter []uint64 // bit set over hashes
	bucket []int32  // hash → start in entries (len = table size + 1)
	ent    []gramEntry
	lits   [][]byte
}

type gramEntry struct {
	gram uint64
	lit  int32 // literal index in lits (and id given by ids)
	off  int32 // offset of gram within the literal
}

const samplerHashBits = 18

// buildSampler indexes lits; every literal must be at least minLen bytes
// and minLen > gramLen.
func buildSampler(lits [][]byte, minLen int) *sampler {
	sp := &sampler{step: minLen - gramLen + 1, shift: 64 - samplerHashBits, lits: lits}
	size := 1 << samplerHashBits
	sp.filter = make([]uint64, size/64)
	var ents []gramEntry
	for id, l := range lits {
		if len(l) < minLen {
			panic("matcher: sampler literal shorter than minLen")
		}
		w := bestWindow(l, sp.step)
		for off := w; off < w+sp.step; off++ {
			g := binary.LittleEndian.Uint64(l[off:])
			ents = append(ents, gramEntry{gram: g, lit: int32(id), off: int32(off)})
		}
	}
	hash := func(g uint64) uint64 { return (g * 0x9E3779B97F4A7C15) >> sp.shift }
	sort.Slice(ents, func(i, j int) bool {
		hi, hj := hash(ents[i].gram), hash(ents[j].gram)
		if hi != hj {
			return hi < hj
		}
		if ents[i].lit != ents[j].lit {
			return ents[i].lit < ents[j].lit
		}
		return ents[i].off < ents[j].off
	})
	sp.ent = ents
	sp.bucket = make([]int32, size+1)
	for _, e := range ents {
		h := hash(e.gram)
		sp.filter[h/64] |= 1 << (h % 64)
		sp.bucket[h+1]++
	}
	for i := 1; i <= size; i++ {
		sp.bucket[i] += sp.bucket[i-1]
	}
	return sp
}

// scan calls hit(literal, start) for every occurrence of a literal in buf.
// An occurrence may be reported more than once; it stops when hit returns false.
func (sp *sampler) scan(buf []byte, hit func(lit int32, start int) bool) {
	if sp == nil || len(sp.ent) == 0 {
		return
	}
	step, shift, filter := sp.step, sp.shift, sp.filter
	last := len(buf) - gramLen
	for p := 0; p <= last; p += step {
		g := binary.LittleEndian.Uint64(buf[p:])
		h := (g * 0x9E3779B97F4A7C15) >> shift
		if filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, e := range sp.ent[sp.bucket[h]:sp.bucket[h+1]] {
			if e.gram != g {
				continue
			}
			start := p - int(e.off)
			l := sp.lits[e.lit]
			if start < 0 || start+len(l) > len(buf) || string(buf[start:start+len(l)]) != string(l) {
				continue
			}
			if !hit(e.lit, start) {
				return
			}
		}
	}
}

// bestWindow picks the start of the run of step consecutive gram offsets
// of l whose grams look least like ordinary source text, so that common
// grams (runs of spaces, "function") rarely send the sampler to verify.
func bestWindow(l []byte, step int) int {
	best, bestScore := 0, -1
	for w := 0; w+step-1 <= len(l)-gramLen; w++ {
		score := 0
		for off := w; off < w+step; off++ {
			score += gramCommonness(l[off : off+gramLen])
		}
		if bestScore < 0 || score < bestScore {
			best, bestScore = w, score
		}
	}
	return best
}

// gramCommonness scores how often a gram is likely to occur in PHP, HTML
// and text: white space and lower-case letters are common, repeated bytes
// more so.
func gramCommonness(g []byte) int {
	score := 0
	for i, c := range g {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			score += 8
		case 'a' <= c && c <= 'z':
			score += 3
		case c == '(' || c == ')' || c == ';' || c == '$' || c == '=' || c == ',' || c == '\'' || c == '"' || c == '>' || c == '<' || c == '/':
			score += 3
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			score++
		}
		if i > 0 && g[i-1] == c {
			score += 4
		}
	}
	return score
}
