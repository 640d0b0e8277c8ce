package sigupdate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/signatures"
)

const (
	// DefaultLockWait is how long an update waits for another to finish.
	DefaultLockWait = 30 * time.Second

	// maxInstalledSize bounds reading the data dir's own files.
	maxInstalledSize = 1 << 30

	previousDir  = ".previous"     // the versions the last updates replaced
	previousTmp  = ".previous.tmp" // the next .previous, being built
	previousOld  = ".previous.old" // the last .previous, being replaced (no RENAME_EXCHANGE)
	manifestName = "manifest.json" // in .previous: what it holds
	newSuffix    = ".new"          // NAME.new: a new version, before its rename
)

// PreviousDir returns where the versions replaced by updates are kept.
func PreviousDir(dataDir string) string { return filepath.Join(dataDir, previousDir) }

// Installer installs signature files into a data dir and rolls them back.
// One Installer runs one operation at a time; across processes the data
// dir's lock keeps updates from interleaving.
type Installer struct {
	// DataDir is the directory a scan loads signature files from. Install
	// creates it (0755) when missing.
	DataDir string
	// Base are rule sources a scan loads before the data dir's files (the
	// built-in rules); they are compiled with the data dir's files, so a
	// new file that clashes with them is refused too, and Result's set
	// versions are the ones a scan reports.
	Base []signatures.Source
	// LockWait bounds the wait for another update to finish; 0 means
	// DefaultLockWait.
	LockWait time.Duration
	// DryRun: check everything, report what would change, change nothing
	// (not even creating the data dir or its lock file).
	DryRun bool

	now        func() time.Time   // tests
	noExchange bool               // tests: replace .previous in two renames
	failAt     func(string) error // tests: fail step 4 before installing this name
}

// File is one new signature file.
type File struct {
	Name   string // its name in the data dir, which says its format (see CheckName)
	Origin string // where it came from (URL, path), naming it in errors; default Name
	Data   []byte
}

// Install installs data as dataDir/name, checked against the data dir's
// other files; see Installer.Install.
func Install(dataDir, name string, data []byte) (Result, error) {
	return (&Installer{DataDir: dataDir}).Install(context.Background(), []File{{Name: name, Data: data}})
}

// Rollback restores the versions the last update replaced; see
// Installer.Rollback.
func Rollback(dataDir string) (Result, error) {
	return (&Installer{DataDir: dataDir}).Rollback(context.Background())
}

// change is one file to write (data) or remove in the data dir.
type change struct {
	name   string
	origin string
	format signatures.Format
	data   []byte
	remove bool
}

// Install checks and installs files together. Each must parse with the
// parser a scan uses and hold at least one rule, and the set a scan would
// then load (Base, the data dir's other files, the new ones) must compile;
// otherwise the error wraps ErrInvalid (and the parser's FILE:LINE error)
// and nothing changes. A file identical to the installed one is left alone
// (so an unchanged upstream does not push the real previous version out of
// .previous). The files that did change are replaced atomically, the
// versions they replace kept in DIR/.previous.
func (in *Installer) Install(ctx context.Context, files []File) (Result, error) {
	if len(files) == 0 {
		return Result{}, errors.New("no files to install")
	}
	changes := make([]change, 0, len(files))
	seen := map[string]bool{}
	for _, f := range files {
		format, err := CheckName(f.Name)
		if err != nil {
			return Result{}, err
		}
		if seen[f.Name] {
			return Result{}, fmt.Errorf("%s given twice", f.Name)
		}
		seen[f.Name] = true
		origin := f.Origin
		if origin == "" {
			origin = f.Name
		}
		// Check each file on its own before taking the lock.
		if len(f.Data) == 0 {
			return Result{}, fmt.Errorf("%w: %s: empty", ErrInvalid, origin)
		}
		rules, err := signatures.Parse(signatures.Source{Name: origin, Format: format, Data: f.Data})
		if err != nil {
			return Result{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if len(rules) == 0 {
			return Result{}, fmt.Errorf("%w: %s: no rules in it (an update never empties %s; remove it by hand if that is what you want)",
				ErrInvalid, origin, f.Name)
		}
		changes = append(changes, change{name: f.Name, origin: origin, format: format, data: f.Data})
	}

	d, unlock, err := in.open(ctx, true)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	prev, err := readManifest(d)
	if err != nil {
		return Result{}, err
	}
	cur, err := in.readCurrent(d)
	if err != nil {
		return Result{}, err
	}
	res, eff, err := in.plan(d, cur, changes)
	if err != nil || !res.Changed || in.DryRun {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, in.commit(d, cur, eff, prev)
}

// Rollback restores the versions kept in DIR/.previous: without names, those
// the last update replaced (a file that update added is removed); with
// names, those files' kept versions, whichever update replaced them. The
// restored set is checked like an update's and installed the same way, so
// the versions it replaces go to .previous in turn: a second rollback undoes
// the first. With nothing kept the error wraps ErrNoPrevious.
func (in *Installer) Rollback(ctx context.Context, names ...string) (Result, error) {
	seen := map[string]bool{}
	for _, n := range names {
		if _, err := CheckName(n); err != nil {
			return Result{}, err
		}
		if seen[n] {
			return Result{}, fmt.Errorf("%s given twice", n)
		}
		seen[n] = true
	}
	d, unlock, err := in.open(ctx, false)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	if d == nil {
		return Result{}, fmt.Errorf("%w: %s does not exist", ErrNoPrevious, in.DataDir)
	}
	m, err := readManifest(d)
	if err != nil {
		return Result{}, err
	}
	if m == nil {
		return Result{}, fmt.Errorf("%w: no previous versions in %s (an update that replaces files keeps the old versions there)",
			ErrNoPrevious, d.join(previousDir))
	}
	var pick []manifestEntry
	if len(names) == 0 {
		for _, e := range m.Files {
			if e.Last {
				pick = append(pick, e)
			}
		}
	} else {
		for _, n := range names {
			i := m.index(n)
			if i < 0 {
				return Result{}, fmt.Errorf("%w: no previous version of %s in %s", ErrNoPrevious, n, d.join(previousDir))
			}
			pick = append(pick, m.Files[i])
		}
	}
	if len(pick) == 0 {
		return Result{}, fmt.Errorf("%w: %s lists no files replaced by the last update", ErrNoPrevious, d.join(previousDir))
	}
	pd, err := d.sub(previousDir)
	if err != nil {
		return Result{}, err
	}
	defer pd.close()
	var changes []change
	var from time.Time
	for _, e := range pick {
		format, err := CheckName(e.Name)
		if err != nil {
			return Result{}, err
		}
		c := change{name: e.Name, origin: pd.join(e.Name), format: format, remove: !e.Present}
		if e.Present {
			if c.data, err = pd.readFile(e.Name, maxInstalledSize); err != nil {
				return Result{}, fmt.Errorf("previous version of %s: %w", e.Name, err)
			}
		}
		changes = append(changes, c)
		if e.Replaced.After(from) {
			from = e.Replaced
		}
	}
	cur, err := in.readCurrent(d)
	if err != nil {
		return Result{}, err
	}
	res, eff, err := in.plan(d, cur, changes)
	res.Rollback, res.PreviousFrom = true, from
	if err != nil || !res.Changed || in.DryRun {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, in.commit(d, cur, eff, m)
}

// open opens the data dir (creating it when create, unless DryRun), checks
// that only its owner can write to it, takes the lock and cleans up after
// an interrupted run. Without create (or with DryRun) a missing data dir
// gives a nil *dirFD.
func (in *Installer) open(ctx context.Context, create bool) (d *dirFD, unlock func(), err error) {
	noop := func() {}
	if in.DataDir == "" {
		return nil, noop, errors.New("no data dir")
	}
	if create && !in.DryRun {
		if _, err := os.Lstat(in.DataDir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(in.DataDir, 0o755); err != nil {
				return nil, noop, err
			}
			if err := os.Chmod(in.DataDir, 0o755); err != nil { // whatever the umask
				return nil, noop, err
			}
		}
	}
	d, err = openDir(in.DataDir)
	if errors.Is(err, fs.ErrNotExist) && (!create || in.DryRun) {
		return nil, noop, nil
	}
	if err != nil {
		return nil, noop, err
	}
	if err := d.checkPrivate(); err != nil {
		d.close()
		return nil, noop, err
	}
	if in.DryRun {
		return d, func() { d.close() }, nil
	}
	wait := in.LockWait
	if wait <= 0 {
		wait = DefaultLockWait
	}
	release, err := d.lock(ctx, wait)
	if err != nil {
		d.close()
		return nil, noop, err
	}
	unlock = func() { release(); d.close() }
	if err := recoverLeftovers(d); err != nil {
		unlock()
		return nil, noop, err
	}
	return d, unlock, nil
}

// recoverLeftovers cleans up after a run that was interrupted: NAME.new
// files and .previous.tmp are removed; a .previous.old without a .previous
// (caught between the two renames that replace it) is put back.
func recoverLeftovers(d *dirFD) error {
	names, err := d.names()
	if err != nil {
		return err
	}
	for _, n := range names {
		if base, ok := strings.CutSuffix(n, newSuffix); ok {
			if _, err := CheckName(base); err == nil {
				if err := d.unlink(n); err != nil {
					return err
				}
			}
		}
	}
	if err := d.removeTree(previousTmp); err != nil {
		return err
	}
	if _, ok, err := d.lstat(previousOld); err != nil || !ok {
		return err
	}
	if _, ok, err := d.lstat(previousDir); err != nil {
		return err
	} else if ok {
		return d.removeTree(previousOld)
	}
	if err := d.expect(previousOld, unix.S_IFDIR, false); err != nil {
		return err
	}
	if err := d.rename(previousOld, previousDir); err != nil {
		return err
	}
	return d.sync()
}

// names lists d's entries.
func (d *dirFD) names() ([]string, error) {
	if _, err := d.f.Seek(0, 0); err != nil { // rewinds a directory
		return nil, err
	}
	names, err := d.f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.path, err)
	}
	return names, nil
}

// current is what a scan loads from the data dir, in its load order.
type current struct {
	names []string
	data  map[string][]byte
}

// readCurrent reads the files a scan loads from the data dir, as it does:
// every regular *.toml file, sorted, then the regular DataDirFiles. Links
// and other non-regular files are skipped, as a scan skips them. A nil d
// (no data dir yet) holds nothing.
func (in *Installer) readCurrent(d *dirFD) (*current, error) {
	cur := &current{data: map[string][]byte{}}
	if d == nil {
		return cur, nil
	}
	all, err := d.names()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range all {
		if filepath.Ext(n) == ".toml" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	names = append(names, DataDirFiles()...)
	for _, n := range names {
		st, ok, err := d.lstat(n)
		if err != nil {
			return nil, err
		}
		if !ok || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		data, err := d.readFile(n, maxInstalledSize)
		if err != nil {
			return nil, err
		}
		cur.names = append(cur.names, n)
		cur.data[n] = data
	}
	return cur, nil
}

// sources lists the set a scan would load: Base, then the data dir's files
// in load order with changes applied (a new name takes its place in that
// order). Current files are named by their path, new ones by their origin.
func (in *Installer) sources(d *dirFD, cur *current, changes []change) []signatures.Source {
	byName := map[string]change{}
	for _, c := range changes {
		byName[c.name] = c
	}
	names := append([]string(nil), cur.names...)
	for _, c := range changes {
		if _, ok := cur.data[c.name]; !ok && !c.remove {
			names = append(names, c.name)
		}
	}
	rank := func(n string) (int, string) {
		for i, f := range DataDirFiles() {
			if n == f {
				return 1 + i, n
			}
		}
		return 0, n // *.toml first, by name
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, ni := rank(names[i])
		rj, nj := rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return ni < nj
	})
	srcs := append([]signatures.Source(nil), in.Base...)
	for _, n := range names {
		format, err := signatures.DetectFormat(n)
		if err != nil {
			continue // not reached: every name read or checked has a format
		}
		if c, ok := byName[n]; ok {
			if !c.remove {
				srcs = append(srcs, signatures.Source{Name: c.origin, Format: c.format, Data: c.data})
			}
			continue
		}
		srcs = append(srcs, signatures.Source{Name: filepathJoin(d, in.DataDir, n), Format: format, Data: cur.data[n]})
	}
	return srcs
}

func filepathJoin(d *dirFD, dir, name string) string {
	if d != nil {
		return d.join(name)
	}
	return filepath.Join(dir, name)
}

// plan checks changes against the current files: each target must be a
// regular file or absent, each new version must parse, and the resulting
// set must compile. It returns the report and the changes that do change
// something.
func (in *Installer) plan(d *dirFD, cur *current, changes []change) (Result, []change, error) {
	res := Result{DataDir: in.DataDir, DryRun: in.DryRun}
	oldSet, err := signatures.Compile(in.sources(d, cur, nil)...)
	res.Old = setInfo(oldSet, err)
	var eff []change
	for _, c := range changes {
		if d != nil {
			if err := d.expect(c.name, unix.S_IFREG, true); err != nil {
				return res, nil, err
			}
		}
		old, present := cur.data[c.name]
		fr := FileResult{Name: c.name, Format: c.format, Origin: c.origin}
		fr.Old = fileInfo(filepathJoin(d, in.DataDir, c.name), c.format, old, present)
		if !c.remove {
			fr.New = fileInfo(c.origin, c.format, c.data, true)
			if fr.New.Err != nil {
				return res, nil, fmt.Errorf("%w: %w", ErrInvalid, fr.New.Err)
			}
		}
		fr.Changed = present == c.remove || present && !bytes.Equal(old, c.data)
		if fr.Changed {
			eff = append(eff, c)
		}
		res.Files = append(res.Files, fr)
	}
	res.Changed = len(eff) > 0
	if !res.Changed {
		res.New = res.Old
		return res, nil, nil
	}
	newSet, err := signatures.Compile(in.sources(d, cur, eff)...)
	if err != nil {
		return res, nil, fmt.Errorf("%w: the rule set would not compile with the new files: %w", ErrInvalid, err)
	}
	res.New = setInfo(newSet, nil)
	return res, eff, nil
}

func setInfo(s *signatures.Set, err error) SetInfo {
	if err != nil {
		return SetInfo{Err: err}
	}
	return SetInfo{Version: s.Version(), Rules: s.Len()}
}

func fileInfo(name string, format signatures.Format, data []byte, present bool) FileInfo {
	fi := FileInfo{Present: present, Size: len(data)}
	if !present {
		return fi
	}
	rules, err := signatures.Parse(signatures.Source{Name: name, Format: format, Data: data})
	fi.Rules, fi.Err = len(rules), err
	if format == signatures.FormatShellDetect && err == nil {
		if v, err := signatures.ShellDetectVersion(data); err == nil {
			fi.Version = Printable(v, 64)
		}
	}
	return fi
}

// commit installs the checked changes:
//
//  1. each new version is written to NAME.new and fsynced;
//  2. the next .previous is built in .previous.tmp: a hard link to (or a
//     copy of) each file about to be replaced, the older versions of the
//     other files carried over, and a manifest; all fsynced;
//  3. .previous.tmp and .previous swap places in one rename (RENAME_EXCHANGE;
//     two renames where the filesystem cannot), and the dir is fsynced;
//  4. each NAME.new is renamed over NAME (or NAME removed), the dir fsynced;
//  5. the older .previous is removed.
//
// A crash before 3 changes nothing a scan or a rollback sees; after it,
// .previous holds what was replaced and every file is complete. A failure
// in 4 is undone as far as possible (ErrPartial when it cannot be).
func (in *Installer) commit(d *dirFD, cur *current, changes []change, prev *manifest) (err error) {
	now := time.Now()
	if in.now != nil {
		now = in.now()
	}
	staged := false
	defer func() {
		if err != nil && staged {
			for _, c := range changes {
				_ = d.unlink(c.name + newSuffix)
			}
			_ = d.removeTree(previousTmp)
		}
	}()

	// 1. The new versions.
	staged = true
	for _, c := range changes {
		if !c.remove {
			if err := d.writeFile(c.name+newSuffix, c.data); err != nil {
				return err
			}
		}
	}

	// 2. The next .previous.
	if err := d.removeTree(previousTmp); err != nil {
		return err
	}
	if err := d.mkdir(previousTmp); err != nil {
		return err
	}
	tmp, err := d.sub(previousTmp)
	if err != nil {
		return err
	}
	defer tmp.close()
	m := &manifest{Format: manifestFormat, Created: now}
	for _, c := range changes {
		_, present := cur.data[c.name]
		if present {
			if err := tmp.linkOrCopy(d, c.name, c.name); err != nil {
				return err
			}
		}
		m.Files = append(m.Files, manifestEntry{Name: c.name, Present: present, Last: true, Replaced: now})
	}
	var hadPrev bool
	if prev != nil {
		pd, err := d.sub(previousDir)
		if err != nil {
			return err
		}
		for _, e := range prev.Files {
			if m.index(e.Name) >= 0 {
				continue // one previous version per file: the one just replaced
			}
			if e.Present {
				if err := tmp.linkOrCopy(pd, e.Name, e.Name); err != nil {
					continue // lost from .previous; nothing to carry over
				}
			}
			e.Last = false
			m.Files = append(m.Files, e)
		}
		pd.close()
	}
	if _, hadPrev, err = d.lstat(previousDir); err != nil {
		return err
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tmp.writeFile(manifestName, append(js, '\n')); err != nil {
		return err
	}
	if err := tmp.sync(); err != nil {
		return err
	}

	// 3. Swap it in.
	older := ""
	if hadPrev {
		err := errExchangeUnsupported
		if !in.noExchange {
			err = d.exchange(previousTmp, previousDir)
		}
		switch {
		case err == nil:
			older = previousTmp
		case errors.Is(err, errExchangeUnsupported):
			if err := d.rename(previousDir, previousOld); err != nil {
				return err
			}
			if err := d.rename(previousTmp, previousDir); err != nil {
				_ = d.rename(previousOld, previousDir)
				return err
			}
			older = previousOld
		default:
			return err
		}
	} else if err := d.rename(previousTmp, previousDir); err != nil {
		return err
	}
	if err := d.sync(); err != nil {
		return in.undo(d, cur, nil, older, hadPrev, err)
	}

	// 4. Install.
	for i, c := range changes {
		var err error
		if in.failAt != nil {
			err = in.failAt(c.name)
		}
		switch {
		case err != nil:
		case c.remove:
			err = d.unlink(c.name)
		default:
			err = d.rename(c.name+newSuffix, c.name)
		}
		if err != nil {
			return in.undo(d, cur, changes[:i], older, hadPrev, err)
		}
	}
	if err := d.sync(); err != nil {
		return fmt.Errorf("%w: %w", ErrPartial, err) // renamed, maybe not durable yet
	}
	staged = false

	// 5. Drop the older .previous.
	if older != "" {
		if err := d.removeTree(older); err == nil {
			_ = d.sync()
		} // else: the next run removes it
	}
	return nil
}

// undo puts back what commit had done when step 3 or 4 failed with cause:
// the files already installed (applied) from .previous, then the older
// .previous. It returns cause, wrapped with ErrPartial if undoing failed.
func (in *Installer) undo(d *dirFD, cur *current, applied []change, older string, hadPrev bool, cause error) error {
	var errs []error
	if len(applied) > 0 {
		pd, err := d.sub(previousDir)
		if err != nil {
			errs = append(errs, err)
		} else {
			for i := len(applied) - 1; i >= 0; i-- {
				c := applied[i]
				if _, present := cur.data[c.name]; present {
					err = d.linkOrCopy(pd, c.name, c.name+newSuffix)
					if err == nil {
						err = d.rename(c.name+newSuffix, c.name)
					}
				} else {
					err = d.unlink(c.name)
				}
				if err != nil {
					errs = append(errs, err)
				}
			}
			pd.close()
		}
	}
	if len(errs) == 0 {
		switch {
		case !hadPrev:
			errs = append(errs, d.removeTree(previousDir))
		case older == previousTmp:
			errs = append(errs, d.exchange(previousTmp, previousDir))
		case older == previousOld:
			if err := d.removeTree(previousDir); err != nil {
				errs = append(errs, err)
			} else {
				errs = append(errs, d.rename(previousOld, previousDir))
			}
		}
	}
	errs = append(errs, d.sync())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w; undoing it failed: %v", ErrPartial, cause, err)
	}
	return fmt.Errorf("installing failed, undone: %w", cause)
}

// manifestFormat is the version of the manifest's layout.
const manifestFormat = 1

// manifest describes .previous.
type manifest struct {
	Format  int             `json:"format"`
	Created time.Time       `json:"created"`
	Files   []manifestEntry `json:"files"`
}

type manifestEntry struct {
	Name string `json:"name"`
	// Present: .previous holds the version replaced; false: the file did
	// not exist before, and rolling back removes it.
	Present bool `json:"present"`
	// Last: replaced by the last update (a rollback without names
	// restores these).
	Last     bool      `json:"last"`
	Replaced time.Time `json:"replaced"`
}

func (m *manifest) index(name string) int {
	for i, e := range m.Files {
		if e.Name == name {
			return i
		}
	}
	return -1
}

// readManifest reads .previous's manifest; nil when there is no .previous
// (or no manifest in it). A .previous that is not a directory (a link above
// all) is ErrUnsafe.
func readManifest(d *dirFD) (*manifest, error) {
	if d == nil {
		return nil, nil
	}
	if err := d.expect(previousDir, unix.S_IFDIR, true); err != nil {
		return nil, err
	}
	pd, err := d.sub(previousDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer pd.close()
	if err := pd.expect(manifestName, unix.S_IFREG, true); err != nil {
		return nil, err
	}
	data, err := pd.readFile(manifestName, 1<<20)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", pd.join(manifestName), err)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("%s: unknown format %d", pd.join(manifestName), m.Format)
	}
	var valid []manifestEntry
	seen := map[string]bool{}
	for _, e := range m.Files {
		if _, err := CheckName(e.Name); err == nil && !seen[e.Name] {
			seen[e.Name] = true
			valid = append(valid, e)
		}
	}
	m.Files = valid
	return &m, nil
}
