package detect

import (
	"math"

	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
)

// Content statistics are weak signals only: packed blobs make a file's
// bytes look random, its "words" (runs without white space) long and its
// text mostly base64 or hex, but so do embedded images, fonts and minified
// code in legitimate files. They are computed only for files that two
// distinct rule signals already scored, and only the heaviest counts.
var (
	// HighEntropyRule: the bytes are closer to random than source code is
	// (PHP source runs at 4.5-5.3 bits per byte, base64 at 6).
	HighEntropyRule = statRule("SG.Stats.HighEntropy", "content entropy of at least 5.5 bits per byte (packed data, not source code)", 2)
	// LongWordRule: a run of thousands of bytes without white space.
	LongWordRule = statRule("SG.Stats.LongWord", "a run of at least 2,000 bytes without white space", 2)
	// EncodedRule: most of the file is base64- or hex-looking runs.
	EncodedRule = statRule("SG.Stats.EncodedBlob", "at least 40% of the content in base64- or hex-looking runs of 64 bytes or more", 3)
)

// Statistics thresholds.
const (
	minEntropy      = 5.5
	minLongWord     = 2000
	minEncodedRatio = 0.4
	minEncodedRun   = 64
	// minStatSize: smaller files are too short for statistics to mean much.
	minStatSize = 512
)

func statRule(id, desc string, weight int) *signatures.Rule {
	return &signatures.Rule{ID: id, Name: id, Description: desc, Engine: signatures.EngineRules, Source: "detect",
		Category: signatures.CategoryMalicious, Severity: signatures.SeverityLow, Kinds: signatures.KindPHP, Weight: weight}
}

// Stats are the content statistics of a buffer.
type Stats struct {
	Entropy      float64 // Shannon entropy, bits per byte
	LongestWord  int     // longest run of bytes without ASCII white space
	EncodedRatio float64 // share of bytes in runs of base64/hex alphabet of minEncodedRun or more
}

// ContentStats computes the statistics of b in one pass.
func ContentStats(b []byte) Stats {
	var hist [256]int
	word, longest := 0, 0
	run, encoded := 0, 0
	for _, c := range b {
		hist[c]++
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
			longest = max(longest, word)
			word = 0
		} else {
			word++
		}
		if base64Alphabet(c) {
			run++
		} else {
			if run >= minEncodedRun {
				encoded += run
			}
			run = 0
		}
	}
	longest = max(longest, word)
	if run >= minEncodedRun {
		encoded += run
	}
	s := Stats{LongestWord: longest}
	if len(b) == 0 {
		return s
	}
	n := float64(len(b))
	for _, k := range hist {
		if k > 0 {
			p := float64(k) / n
			s.Entropy -= p * math.Log2(p)
		}
	}
	s.EncodedRatio = float64(encoded) / n
	return s
}

func base64Alphabet(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}

// statSignals returns the signals among rules (statistics rules of this
// package) that b shows.
func statSignals(b []byte, rules []*signatures.Rule) []matcher.Finding {
	if len(b) < minStatSize || len(rules) == 0 {
		return nil
	}
	s := ContentStats(b)
	shows := map[*signatures.Rule]bool{
		HighEntropyRule: s.Entropy >= minEntropy,
		LongWordRule:    s.LongestWord >= minLongWord,
		EncodedRule:     s.EncodedRatio >= minEncodedRatio,
	}
	var out []matcher.Finding
	for _, r := range rules {
		if shows[r] {
			out = append(out, matcher.Finding{Rule: r, Line: 1, Snippet: r.Description})
		}
	}
	return out
}
