package scan

import (
	"hash/maphash"
	"sync"

	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
)

// DefaultDedupeEntries bounds the in-run memory of contents already
// matched: 64k entries is a few MB, and holds every distinct file of many
// copies of the usual PHP applications.
const DefaultDedupeEntries = 1 << 16

// dedupe remembers, for contents already matched in this run, what the
// matcher found, so that the 300th copy of WordPress core is hashed, not
// matched. The hash is seeded at random per run: a hostile user cannot
// craft a file that collides with one they know to be clean. Safe for
// concurrent use.
type dedupe struct {
	seed  maphash.Seed
	max   int
	mu    sync.Mutex
	known map[dedupeKey]dedupeVal
}

type dedupeKey struct {
	hash  uint64
	size  int
	kinds signatures.Kind // kinds depend on the name too: a.php and a.txt differ
}

type dedupeVal struct {
	findings    []matcher.Finding
	clamd       ClamdStatus
	allowlisted bool
	sum         [32]byte // SHA-256, when hasSum
	hasSum      bool
}

func newDedupe(max int) *dedupe {
	if max <= 0 {
		return nil
	}
	return &dedupe{seed: maphash.MakeSeed(), max: max, known: make(map[dedupeKey]dedupeVal)}
}

func (d *dedupe) key(data []byte, kinds signatures.Kind) dedupeKey {
	return dedupeKey{hash: maphash.Bytes(d.seed, data), size: len(data), kinds: kinds}
}

func (d *dedupe) get(k dedupeKey) (dedupeVal, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.known[k]
	return v, ok
}

func (d *dedupe) put(k dedupeKey, v dedupeVal) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.known) >= d.max {
		for old := range d.known { // map order is random: a random eviction
			delete(d.known, old)
			break
		}
	}
	d.known[k] = v
}
