package scan

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/spamgear/spamgear/clamav"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
)

// ClamdStatus says what clamd made of a file.
type ClamdStatus uint8

// ClamdStatus values.
const (
	ClamdNotUsed ClamdStatus = iota // no clamd in this run, or the file was not read
	ClamdScanned                    // clamd scanned it (a hit is among the findings)
	ClamdNotSent                    // --clamd-only-flagged: our engines classified it clean
	ClamdTooBig                     // larger than clamd's StreamMaxLength: not sent
	ClamdMissed                     // clamd was down or failed on it: not scanned by clamd
)

// EngineClamAV is the engine name of clamd's findings.
const EngineClamAV = "CLAMAV"

// Clamd sends every file read, from the same buffer, to clamd.
type Clamd struct {
	Pool *clamav.Pool
	// MaxSize is clamd's StreamMaxLength: larger files are not sent
	// (ClamdTooBig). 0: no limit.
	MaxSize int64
	// OnlyFlagged sends only the files our engines flagged or could not
	// classify (no script kind, or binary content).
	OnlyFlagged bool
	// Down, when set, starts the run with clamd known to be unavailable.
	Down bool
}

// clamdState is a run's shared view of clamd.
type clamdState struct {
	cfg   *Clamd
	down  atomic.Bool
	warn  sync.Once
	log   *slog.Logger
	rules sync.Map // signature name → *signatures.Rule
}

func newClamdState(cfg *Clamd, log *slog.Logger) *clamdState {
	if cfg == nil || cfg.Pool == nil {
		return nil
	}
	s := &clamdState{cfg: cfg, log: log}
	s.down.Store(cfg.Down)
	return s
}

// wanted reports whether a file goes to clamd.
func (s *clamdState) wanted(data []byte, kinds signatures.Kind, findings []matcher.Finding) bool {
	if !s.cfg.OnlyFlagged || len(findings) > 0 {
		return true
	}
	if kinds&^signatures.KindOther == 0 {
		return true // not a script of any kind we know
	}
	return bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0 // binary
}

// scan sends data to clamd and returns its finding, if any, and the
// status.
func (s *clamdState) scan(ctx context.Context, path string, data []byte) (*matcher.Finding, ClamdStatus) {
	if s.down.Load() {
		return nil, ClamdMissed
	}
	if s.cfg.MaxSize > 0 && int64(len(data)) > s.cfg.MaxSize {
		return nil, ClamdTooBig
	}
	res, err := s.cfg.Pool.Scan(ctx, data)
	switch {
	case err == nil:
		if !res.Infected {
			return nil, ClamdScanned
		}
		f := matcher.Finding{Rule: s.rule(res.Signature), Line: 1, Snippet: ""}
		return &f, ClamdScanned
	case errors.Is(err, clamav.ErrSizeLimit):
		return nil, ClamdTooBig
	case errors.Is(err, clamav.ErrUnavailable):
		if !s.down.Swap(true) {
			s.warn.Do(func() {
				s.log.Warn("clamd is not answering: the rest of the scan goes on without it", "err", err)
			})
		}
		return nil, ClamdMissed
	default:
		if ctx.Err() == nil {
			s.log.Warn("clamd did not scan a file", "path", path, "err", err)
		}
		return nil, ClamdMissed
	}
}

// rule is the (shared) rule standing for a clamd signature.
func (s *clamdState) rule(name string) *signatures.Rule {
	if r, ok := s.rules.Load(name); ok {
		return r.(*signatures.Rule)
	}
	r := &signatures.Rule{ID: "ClamAV." + name, Name: name, Engine: EngineClamAV,
		Category: signatures.CategoryShell, Severity: signatures.SeverityHigh, Kinds: signatures.KindAny}
	actual, _ := s.rules.LoadOrStore(name, r)
	return actual.(*signatures.Rule)
}
