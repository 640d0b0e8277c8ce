package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/spf13/pflag"

	"github.com/spamgear/spamgear/detect"
	"github.com/spamgear/spamgear/signatures"
	"github.com/spamgear/spamgear/sigs"
	"github.com/spamgear/spamgear/sigupdate"
)

// defaultDataDir is where updatedb installs signature files.
const defaultDataDir = "/var/lib/shellscan"

// ruleOptions choose the rule files a command loads.
type ruleOptions struct {
	dataDir   string
	sigFiles  []string
	noDefault bool
	disable   []string
}

func (o *ruleOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir,
		"`DIR` of installed signature files (shelldetect.db, fingerprints.txt, backdoors.re, *.toml); loaded when it exists")
	fs.StringArrayVar(&o.sigFiles, "sigs", nil,
		"extra rule `FILE` (repeatable): *.toml rules, spam-gear fingerprints.txt or backdoors.re, Shell-Detector shelldetect.db")
	fs.BoolVar(&o.noDefault, "no-default-rules", false, "do not load the built-in rules")
	fs.StringArrayVar(&o.disable, "disable-rule", nil, "do not use rules whose ID matches `GLOB` (repeatable; see 'shellscan rules list')")
}

// sources lists the rule sources in load order: built-in rules, the data
// dir's files, then --sigs files.
func (o *ruleOptions) sources() ([]signatures.Source, error) {
	var srcs []signatures.Source
	if !o.noDefault {
		srcs = append(srcs, sigs.Sources()...)
	}
	if o.dataDir != "" {
		names, err := dataDirRuleFiles(o.dataDir)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			src, err := signatures.ReadSource(n)
			if err != nil {
				return nil, err
			}
			srcs = append(srcs, src)
		}
	}
	for _, p := range o.sigFiles {
		src, err := signatures.ReadSource(p)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, src)
	}
	if len(srcs) == 0 {
		return nil, errors.New("no rules: --no-default-rules given and no --sigs files or installed signatures")
	}
	return srcs, nil
}

// load compiles the rule set.
func (o *ruleOptions) load() (*signatures.Set, error) {
	srcs, err := o.sources()
	if err != nil {
		return nil, err
	}
	set, err := signatures.Compile(srcs...)
	if err != nil {
		return nil, err
	}
	set, _, err = set.Without(o.disable)
	return set, err
}

// detectOptions are package detect's options for these rule options: its
// own rules disabled by --disable-rule, and its content statistics (built-in
// rules) left out with --no-default-rules; scoring stays, for weighted
// rules of other files.
func (o *ruleOptions) detectOptions(noDecode bool) detect.Options {
	disable := o.disable
	if o.noDefault {
		disable = append(slices.Clone(disable), "SG.Stats.*")
	}
	return detect.Options{NoDecode: noDecode, Disable: disable}
}

// dataDirRuleFiles lists the rule files installed in dir; a missing dir is
// no error (a fresh machine has only the built-in rules).
func dataDirRuleFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		if filepath.Ext(name) == ".toml" {
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out)
	for _, n := range sigupdate.DataDirFiles() {
		p := filepath.Join(dir, n)
		if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out, nil
}
