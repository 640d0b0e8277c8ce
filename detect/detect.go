// Package detect turns a matcher's hits into a file's findings.
//
// Decisive rules flag a file on their own. Weak signals (rules with a
// Weight, and the content statistics of this package) only add up to a
// score, which flags the file from signatures.ScoreThreshold; no single
// signal reaches it. Files that show an obfuscation marker (a marker rule's
// hit, or any other hit) are decoded by package decode, and each decoded
// layer goes back through the matcher: its findings name the layers that
// led to them.
package detect

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/spamgear/spamgear/decode"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
)

// Version names this package's decoding and scoring; a verdict cache keys
// clean verdicts on it with the rule set's version. Bump it whenever a
// change can turn a clean verdict into a finding.
const Version = "detect-2"

// Options tune a Detector; the zero value decodes with decode's default
// budget.
type Options struct {
	// NoDecode turns decoding off: only the file's own bytes are matched.
	NoDecode bool
	// Budget bounds the decoding of one file.
	Budget decode.Budget
	// Disable lists globs (path.Match) of this package's own rules (see
	// Rules) to leave out, as --disable-rule does for a Set's: disabling
	// ScoreRule turns scoring off.
	Disable []string
}

// Detector is a matcher.Matcher that adds decoding and scoring to another
// Matcher. It is safe for concurrent use.
type Detector struct {
	m        matcher.Matcher
	opt      Options
	noScore  bool
	stats    []*signatures.Rule // the statistics rules in use
	disabled []string           // IDs of this package's rules left out
}

var _ matcher.Matcher = (*Detector)(nil)

// New returns a Detector over m. A malformed Disable glob is an error.
func New(m matcher.Matcher, opt Options) (*Detector, error) {
	d := &Detector{m: m, opt: opt}
	for _, r := range Rules() {
		off := false
		for _, p := range opt.Disable {
			ok, err := path.Match(p, r.ID)
			if err != nil {
				return nil, fmt.Errorf("bad rule pattern %q: %v", p, err)
			}
			off = off || ok
		}
		switch {
		case off:
			d.disabled = append(d.disabled, r.ID)
			d.noScore = d.noScore || r == ScoreRule
		case r != ScoreRule:
			d.stats = append(d.stats, r)
		}
	}
	return d, nil
}

// Rules returns this package's own rules: ScoreRule and the statistics
// signals.
func Rules() []*signatures.Rule {
	return []*signatures.Rule{ScoreRule, HighEntropyRule, LongWordRule, EncodedRule}
}

// Rules returns the package's rules this Detector uses (not disabled).
func (d *Detector) Rules() []*signatures.Rule {
	if d.noScore {
		return d.stats
	}
	return append([]*signatures.Rule{ScoreRule}, d.stats...)
}

// Version names what this Detector does beyond its matcher's rule set, for
// a verdict cache: the package Version, decoding off, rules left out.
func (d *Detector) Version() string {
	v := Version
	if d.opt.NoDecode {
		v += "+nodecode"
	}
	for _, id := range d.disabled {
		v += "-" + id
	}
	return v
}

// ScoreRule is the rule a file flagged by its score is reported under;
// the finding's snippet lists the signals and their weights.
var ScoreRule = &signatures.Rule{
	ID: "SG.PHP.Behaviour.Score", Name: "SG.PHP.Behaviour.Score",
	Description: fmt.Sprintf("weak signals (behaviour, obfuscation, content statistics) adding up to a score of at least %d", signatures.ScoreThreshold),
	Engine:      signatures.EngineRules, Source: "detect",
	Category: signatures.CategoryMalicious, Severity: signatures.SeverityHigh,
	Kinds: signatures.KindPHP,
}

// Match returns the decisive findings of buf and of its decoded layers
// (one per rule, the file's own first), then, when the weak signals add
// up to the threshold, one finding of ScoreRule. Marker hits and signals
// below the threshold are not returned.
func (d *Detector) Match(buf []byte, kinds signatures.Kind) []matcher.Finding {
	var acc accumulator
	acc.add(d.m.Match(buf, kinds), nil)
	if !d.opt.NoDecode && kinds&signatures.KindPHP != 0 && (acc.marked || len(acc.decisive) > 0 || len(acc.signals) > 0) {
		// Layers are matched as the file is: PHP, plus whatever else the
		// file's name and content made it.
		for _, l := range decode.Layers(buf, d.opt.Budget) {
			acc.add(d.m.Match(l.Data, kinds), l.Chain)
		}
	}
	// Statistics only add to a score that two distinct rules started,
	// and at most the weight of the heaviest of them: a packed blob (an
	// embedded image) and one signal never flag a file.
	if !d.noScore && kinds&signatures.KindPHP != 0 && len(acc.signals) >= 2 && acc.score < signatures.ScoreThreshold {
		if f, ok := heaviest(statSignals(buf, d.stats)); ok {
			acc.addSignal(f)
		}
	}
	if d.noScore {
		return acc.decisive
	}
	return acc.result()
}

// heaviest returns the signal of the greatest weight.
func heaviest(fs []matcher.Finding) (matcher.Finding, bool) {
	if len(fs) == 0 {
		return matcher.Finding{}, false
	}
	best := fs[0]
	for _, f := range fs[1:] {
		if f.Rule.Weight > best.Rule.Weight {
			best = f
		}
	}
	return best, true
}

// accumulator collects the findings of a file and of its layers.
type accumulator struct {
	decisive []matcher.Finding
	signals  []matcher.Finding
	seen     map[*signatures.Rule]bool
	score    int
	marked   bool
}

// add takes the findings of the file (layers nil) or of one decoded layer.
func (a *accumulator) add(fs []matcher.Finding, layers []string) {
	for _, f := range fs {
		r := f.Rule
		if r.Marker {
			a.marked = true
			continue
		}
		if a.seen[r] {
			continue
		}
		if a.seen == nil {
			a.seen = map[*signatures.Rule]bool{}
		}
		a.seen[r] = true
		f.Layers = layers
		if r.Weight > 0 {
			a.addSignal(f)
		} else {
			a.decisive = append(a.decisive, f)
		}
	}
}

func (a *accumulator) addSignal(f matcher.Finding) {
	a.signals = append(a.signals, f)
	a.score += f.Rule.Weight
}

func (a *accumulator) result() []matcher.Finding {
	if a.score < signatures.ScoreThreshold {
		return a.decisive
	}
	return append(a.decisive, scoreFinding(a.signals, a.score))
}

// scoreFinding reports a score: at the heaviest signal, with every signal
// and its weight in the snippet, heaviest first.
func scoreFinding(signals []matcher.Finding, score int) matcher.Finding {
	sort.SliceStable(signals, func(i, j int) bool { return signals[i].Rule.Weight > signals[j].Rule.Weight })
	var sb strings.Builder
	fmt.Fprintf(&sb, "score %d:", score)
	for _, s := range signals {
		fmt.Fprintf(&sb, " %s(%d)", s.Rule.ID, s.Rule.Weight)
		if len(s.Layers) > 0 {
			fmt.Fprintf(&sb, "[%s]", strings.Join(s.Layers, ">"))
		}
	}
	// At the heaviest signal's place, but without its layers: the snippet
	// names each signal's.
	top := signals[0]
	return matcher.Finding{Rule: ScoreRule, Offset: top.Offset, End: top.End, Line: top.Line, Snippet: sb.String()}
}
