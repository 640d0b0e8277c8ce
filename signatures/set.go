package signatures

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// Format names a rule file format.
type Format string

// Supported formats.
const (
	FormatTOML         Format = "toml"         // the project's own rules
	FormatFingerprints Format = "fingerprints" // spam-gear fingerprints.txt
	FormatBackdoors    Format = "backdoors"    // spam-gear backdoors.re
	FormatShellDetect  Format = "shelldetect"  // Shell-Detector shelldetect.db
)

// DetectFormat guesses a file's format from its name.
func DetectFormat(name string) (Format, error) {
	base := strings.ToLower(filepath.Base(name))
	switch {
	case strings.HasSuffix(base, ".toml"):
		return FormatTOML, nil
	case strings.HasSuffix(base, ".re"):
		return FormatBackdoors, nil
	case strings.HasSuffix(base, ".db"):
		return FormatShellDetect, nil
	case strings.HasSuffix(base, ".txt"):
		return FormatFingerprints, nil
	}
	return "", fmt.Errorf("%s: unknown rule file format (want .toml, fingerprints .txt, backdoors .re or shelldetect .db)", name)
}

// Source is one rule file's content, named for error messages.
type Source struct {
	Name   string // file name or "embedded:NAME"
	Format Format
	Data   []byte
}

// ReadSource reads a rule file, detecting its format from its name.
func ReadSource(path string) (Source, error) {
	f, err := DetectFormat(path)
	if err != nil {
		return Source{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Source{}, err
	}
	return Source{Name: path, Format: f, Data: data}, nil
}

// Parse parses one source into rules.
func Parse(src Source) ([]*Rule, error) {
	switch src.Format {
	case FormatTOML:
		return ParseTOML(src.Name, src.Data)
	case FormatFingerprints:
		return ParseFingerprints(src.Name, src.Data)
	case FormatBackdoors:
		return ParseBackdoors(src.Name, src.Data)
	case FormatShellDetect:
		return ParseShellDetect(src.Name, src.Data)
	}
	return nil, &ParseError{File: src.Name, Msg: fmt.Sprintf("unknown format %q", src.Format)}
}

// SourceInfo describes one loaded source.
type SourceInfo struct {
	Name   string
	Format Format
	Rules  int
}

// Set is a compiled, immutable rule set. Safe for concurrent use.
type Set struct {
	rules   []*Rule
	version string
	sources []SourceInfo
}

// Compile parses every source and builds one Set. Rule IDs must be unique
// across sources. The version is a hash of the sources' formats and bytes,
// so the same files always give the same version.
func Compile(srcs ...Source) (*Set, error) {
	s := &Set{}
	h := sha256.New()
	seen := map[string]string{}
	for _, src := range srcs {
		rules, err := Parse(src)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			if prev, dup := seen[r.ID]; dup {
				return nil, &ParseError{File: src.Name, Msg: fmt.Sprintf("rule id %q already defined at %s", r.ID, prev)}
			}
			seen[r.ID] = r.Source
		}
		s.rules = append(s.rules, rules...)
		s.sources = append(s.sources, SourceInfo{Name: src.Name, Format: src.Format, Rules: len(rules)})
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(src.Data)))
		h.Write([]byte(src.Format))
		h.Write(n[:])
		h.Write(src.Data)
	}
	s.version = hex.EncodeToString(h.Sum(nil))[:16]
	return s, nil
}

// Rules returns the rules in load order. Callers must not modify them.
func (s *Set) Rules() []*Rule { return s.rules }

// Len is the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Version identifies the set's contents.
func (s *Set) Version() string { return s.version }

// Sources lists what the set was built from.
func (s *Set) Sources() []SourceInfo { return s.sources }

// Store holds the rule set in force. Reload swaps in a new set only when it
// compiles; on error the previous set stays in force.
type Store struct {
	cur atomic.Pointer[Set]
}

// Current returns the set in force (nil before the first successful Reload).
func (st *Store) Current() *Set { return st.cur.Load() }

// Reload compiles srcs and, on success, makes them the set in force.
func (st *Store) Reload(srcs ...Source) (*Set, error) {
	s, err := Compile(srcs...)
	if err != nil {
		return st.cur.Load(), err
	}
	st.cur.Store(s)
	return s, nil
}

// Without returns a copy of the set without the rules whose ID matches one
// of patterns (path.Match globs, e.g. "SD.255.*"), and how many it dropped.
// The version changes with what is dropped.
func (s *Set) Without(patterns []string) (*Set, int, error) {
	if len(patterns) == 0 {
		return s, 0, nil
	}
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, 0, fmt.Errorf("bad rule pattern %q: %v", p, err)
		}
	}
	out := &Set{sources: s.sources}
	h := sha256.New()
	h.Write([]byte(s.version))
	for _, r := range s.rules {
		drop := false
		for _, p := range patterns {
			if ok, _ := path.Match(p, r.ID); ok {
				drop = true
				break
			}
		}
		if drop {
			h.Write([]byte("\x00-" + r.ID))
			continue
		}
		out.rules = append(out.rules, r)
	}
	out.version = hex.EncodeToString(h.Sum(nil))[:16]
	return out, len(s.rules) - len(out.rules), nil
}
