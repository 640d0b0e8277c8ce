package sigupdate

import (
	"time"

	"github.com/spamgear/spamgear/signatures"
)

// Result describes an update or a rollback: each file's old and new state
// and the whole rule set's before and after.
type Result struct {
	DataDir string
	// Files lists the files asked for, in order: changed ones and ones
	// found identical to the installed file (Changed false).
	Files []FileResult
	// Old and New are the whole set a scan with the Installer's Base loads
	// from the data dir, before and after.
	Old, New SetInfo
	// Changed: at least one file was replaced, added or removed (with
	// DryRun: would have been).
	Changed bool
	DryRun  bool
	// Rollback: this was a rollback; PreviousFrom is when the versions it
	// restored were replaced.
	Rollback     bool
	PreviousFrom time.Time
}

// SetInfo is a compiled rule set's identity.
type SetInfo struct {
	Version string // signatures.Set.Version(); "" when Err is set
	Rules   int
	Err     error // why the set does not compile (only ever for Old)
}

// FileResult is one file's change.
type FileResult struct {
	Name     string
	Format   signatures.Format
	Origin   string // URL or path the new content came from
	Old, New FileInfo
	Changed  bool
}

// FileInfo is one version of a file.
type FileInfo struct {
	Present bool
	Size    int
	Rules   int   // rules parsed from it
	Err     error // why it does not parse (only ever for an old version)
	// Version is a shelldetect.db's own "version" entry, made printable;
	// "" for other formats or when it has none.
	Version string
}
