package matcher

import (
	"bytes"
	"testing"

	"github.com/cloudflare/ahocorasick"

	"github.com/spamgear/spamgear/internal/testenv"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/sigs"
)

// benchCorpus loads up to 64 MiB of real PHP from the benign corpus.
func benchCorpus(b testing.TB) [][]byte {
	b.Helper()
	return testenv.PHPFiles(b, testenv.Benign(b), 64<<20, nil)
}

// benchSet is the default rules plus Shell-Detector's database: what a
// production scan loads.
func benchSet(b testing.TB) *signatures.Set {
	b.Helper()
	srcs := sigs.Sources()
	sd, err := signatures.ReadSource(testenv.Shared(b, "seed-sigs/shelldetect.db"))
	if err != nil {
		b.Fatal(err)
	}
	set, err := signatures.Compile(append(srcs, sd)...)
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkEngine is the matcher alone on real PHP with all rules loaded
// (prefilter, regex confirmation, findings): the ≥ 300 MB/s per core target.
func BenchmarkEngine(b *testing.B) {
	bufs := benchCorpus(b)
	e := New(benchSet(b), Options{})
	b.SetBytes(testenv.TotalLen(bufs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, buf := range bufs {
			e.Match(buf, signatures.KindPHP)
		}
	}
}

// BenchmarkPrefilter is the literal pass alone (automaton and samplers).
func BenchmarkPrefilter(b *testing.B) {
	bufs := benchCorpus(b)
	e := New(benchSet(b), Options{})
	b.SetBytes(testenv.TotalLen(bufs))
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		for _, buf := range bufs {
			e.dfa.scan(buf, func(int32, int) bool { hits++; return true })
			for _, sp := range e.samplers {
				sp.scan(buf, func(int32, int) bool { hits++; return true })
			}
		}
	}
}

// BenchmarkCloudflare is the named dependency doing the same literal pass:
// cloudflare/ahocorasick's MatchThreadSafe (its Match is not safe for
// concurrent use) over a lower-cased copy of the text, with every literal
// lower-cased (it has no case folding and reports no positions).
func BenchmarkCloudflare(b *testing.B) {
	bufs := benchCorpus(b)
	set := benchSet(b)
	var dict [][]byte
	for _, r := range set.Rules() {
		for _, l := range r.Literals {
			dict = append(dict, bytes.ToLower(l.Text))
		}
	}
	m := ahocorasick.NewMatcher(dict)
	b.SetBytes(testenv.TotalLen(bufs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, buf := range bufs {
			m.MatchThreadSafe(bytes.ToLower(buf))
		}
	}
}

// BenchmarkNaive is the reference semantics, for scale.
func BenchmarkNaive(b *testing.B) {
	bufs := benchCorpus(b)
	set := benchSet(b)
	n := &Naive{Rules: set.Rules()}
	bufs = bufs[:len(bufs)/10+1]
	b.SetBytes(testenv.TotalLen(bufs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, buf := range bufs {
			n.Match(buf, signatures.KindPHP)
		}
	}
}

// BenchmarkDFA is the automaton's inner loop alone.
func BenchmarkDFA(b *testing.B) {
	bufs := benchCorpus(b)
	e := New(benchSet(b), Options{})
	b.SetBytes(testenv.TotalLen(bufs))
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		for _, buf := range bufs {
			e.dfa.scan(buf, func(int32, int) bool { hits++; return true })
		}
	}
}

// BenchmarkSampler is the long-literal sampler alone.
func BenchmarkSampler(b *testing.B) {
	bufs := benchCorpus(b)
	e := New(benchSet(b), Options{})
	b.SetBytes(testenv.TotalLen(bufs))
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		for _, buf := range bufs {
			for _, sp := range e.samplers {
				sp.scan(buf, func(int32, int) bool { hits++; return true })
			}
		}
	}
}
