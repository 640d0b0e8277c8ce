// Package cache is shellscan's memory between runs, in one bbolt file: the
// stat tuple and verdict of every scanned file under the signature set that
// judged it, verdicts by content (SHA-256), and when each root was last
// scanned successfully. A file whose stat tuple matches a clean entry under
// the current signature set is skipped without being opened.
//
// Only what was actually scanned is ever written, and every write is a
// whole bbolt transaction, so a crash or kill -9 at any moment leaves a
// cache that opens and never marks an unscanned file clean.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// schema is the layout version; a cache of another schema is rebuilt.
const schema = "3"

var (
	bucketMeta    = []byte("meta")
	bucketFiles   = []byte("files")
	bucketContent = []byte("content")
	bucketRoots   = []byte("roots")
	bucketDirs    = []byte("dirs") // directory path → 4-byte id; files are keyed id+name
	keySchema     = []byte("schema")
)

// ErrLocked means another shellscan holds the cache.
var ErrLocked = errors.New("cache is in use by another shellscan")

// DefaultLockWait is how long Open waits for another run to release the cache.
const DefaultLockWait = 10 * time.Second

// Options configure Open.
type Options struct {
	// SigVersion is the version of the signature set in force: entries
	// judged under another version are stale.
	SigVersion string
	// LockWait bounds the wait for another run (default DefaultLockWait).
	LockWait time.Duration
	// Log receives warnings (a corrupt cache moved aside); nil discards.
	Log *slog.Logger
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Cache is an open cache file. Lookups are safe for concurrent use; writes
// go through one batched writer (see Put).
type Cache struct {
	dirs sync.Map // directory path → [4]byte id, for those known to exist in the file
	// fresh is set while the cache held no file entry when opened: a
	// first scan then skips a lookup per file that could only miss (an
	// entry written during this run is of this run's own verdicts).
	fresh  atomic.Bool
	db     *bolt.DB
	path   string
	sigver [8]byte
	now    func() time.Time
	w      *writer
}

// DefaultPath is /var/cache/shellscan/cache.db for root, else the user's
// cache directory.
func DefaultPath() string {
	if os.Geteuid() == 0 {
		return "/var/cache/shellscan/cache.db"
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "shellscan", "cache.db")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("shellscan-%d", os.Getuid()), "cache.db")
}

// Open opens or creates the cache at path. A second run on the same file
// waits up to LockWait, then fails with an error wrapping ErrLocked that
// names the other run. A file that is not a valid cache is moved aside
// (PATH.corrupt-TIME) with a warning and a new one is made.
func Open(path string, opts Options) (*Cache, error) {
	if opts.LockWait <= 0 {
		opts.LockWait = DefaultLockWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("cache %s: not a regular file (%s)", path, st.Mode().Type())
	}
	db, err := openChecked(path, opts.LockWait)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("cache %s: %w (%s); waited %s", path, ErrLocked, owner(path), opts.LockWait)
	}
	if err != nil {
		aside := fmt.Sprintf("%s.corrupt-%s", path, opts.Now().UTC().Format("20060102T150405"))
		log.Warn("cache file is damaged: moved aside, starting a new cache", "path", path, "moved_to", aside, "err", err)
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("cache %s is damaged (%v) and cannot be moved aside: %w", path, err, rerr)
		}
		if db, err = openChecked(path, opts.LockWait); err != nil {
			return nil, fmt.Errorf("cache %s: %w", path, err)
		}
	}
	c := &Cache{db: db, path: path, now: opts.Now}
	_ = db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketFiles).Cursor().First()
		c.fresh.Store(k == nil)
		return nil
	})
	copy(c.sigver[:], versionBytes(opts.SigVersion))
	writeOwner(path, opts.Now())
	c.w = newWriter(c)
	return c, nil
}

// openChecked opens the bolt file and makes sure its buckets are there and
// of our schema; a schema mismatch empties the cache.
func openChecked(path string, wait time.Duration) (db *bolt.DB, err error) {
	// NoSync: a cache is not worth an fsync per batch. A kill -9 loses
	// nothing (the kernel has every write); an OS crash may damage the
	// file, which the next Open detects and replaces. Close syncs.
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: wait, NoSync: true, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	// bbolt grows its file 16 MiB at a time by default: a third of a
	// 200k-file cache would be tail.
	db.AllocSize = 1 << 20
	defer func() {
		// bbolt panics on some damaged pages: that is a damaged cache.
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged: %v", r)
		}
		if err != nil {
			db.Close()
			db = nil
		}
	}()
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta != nil && string(meta.Get(keySchema)) != schema {
			for _, b := range [][]byte{bucketMeta, bucketFiles, bucketContent, bucketRoots, bucketDirs} {
				if tx.Bucket(b) != nil {
					if err := tx.DeleteBucket(b); err != nil {
						return err
					}
				}
			}
			meta = nil
		}
		for _, b := range [][]byte{bucketMeta, bucketFiles, bucketContent, bucketRoots, bucketDirs} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if meta == nil {
			return tx.Bucket(bucketMeta).Put(keySchema, []byte(schema))
		}
		return nil
	})
	return db, err
}

// owner describes the run holding the cache, from its owner file.
func owner(path string) string {
	b, err := os.ReadFile(path + ".owner")
	if err != nil {
		return "another shellscan holds its lock"
	}
	return "held by " + strings.TrimSpace(string(b))
}

// writeOwner records who holds the cache, for the message a second run prints.
func writeOwner(path string, now time.Time) {
	info := fmt.Sprintf("pid %d, started %s: %s", os.Getpid(), now.Format(time.RFC3339), strings.Join(os.Args, " "))
	_ = os.WriteFile(path+".owner", []byte(info+"\n"), 0o600)
}

// versionBytes reduces a signature-set version (with whatever the caller
// appends: decoding, allowlist, clamd) to 8 bytes, from all of it.
func versionBytes(v string) []byte {
	sum := sha256.Sum256([]byte(v))
	return sum[:8]
}

// Path is the cache file's path.
func (c *Cache) Path() string { return c.path }

// Close flushes pending writes and closes the file.
func (c *Cache) Close() error {
	werr := c.w.close()
	if err := c.db.Sync(); err != nil && werr == nil {
		werr = err
	}
	_ = os.Remove(c.path + ".owner")
	if err := c.db.Close(); err != nil {
		return err
	}
	return werr
}

// Verdict is what a scan concluded about a file.
type Verdict uint8

// Verdicts.
const (
	Clean Verdict = iota + 1
	Infected
)

// FileState is the stat tuple the cache compares.
type FileState struct {
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64 // unix ns
}

// record layout: dev, ino, size, mtime, ctime (8 bytes each), signature
// version (8), verdict (1).
const recordLen = 5*8 + 8 + 1

func encodeRecord(st FileState, sigver [8]byte, v Verdict) []byte {
	b := make([]byte, recordLen)
	binary.LittleEndian.PutUint64(b[0:], st.Dev)
	binary.LittleEndian.PutUint64(b[8:], st.Ino)
	binary.LittleEndian.PutUint64(b[16:], uint64(st.Size))
	binary.LittleEndian.PutUint64(b[24:], uint64(st.Mtime))
	binary.LittleEndian.PutUint64(b[32:], uint64(st.Ctime))
	copy(b[40:48], sigver[:])
	b[48] = byte(v)
	return b
}

// IsClean reports whether path was judged clean under the current
// signature set with exactly this stat tuple: then it need not be opened.
func (c *Cache) IsClean(path string, st FileState) bool {
	if c.fresh.Load() {
		return false
	}
	clean := false
	_ = c.db.View(func(tx *bolt.Tx) error {
		key, ok := c.fileKey(tx, path)
		if !ok {
			return nil
		}
		v := tx.Bucket(bucketFiles).Get(key)
		if len(v) != recordLen {
			return nil
		}
		want := encodeRecord(st, c.sigver, Clean)
		clean = string(v) == string(want)
		return nil
	})
	return clean
}

// ContentClean reports whether content with this SHA-256, in a file of
// these kinds (which depend on the file name too), was judged clean under
// the current signature set.
func (c *Cache) ContentClean(sha [32]byte, kinds uint16) bool {
	if c.fresh.Load() {
		return false
	}
	clean := false
	want := contentRecord(c.sigver, Clean, kinds)
	_ = c.db.View(func(tx *bolt.Tx) error {
		clean = string(tx.Bucket(bucketContent).Get(sha[:])) == string(want)
		return nil
	})
	return clean
}

// contentRecord is signature version (8), verdict (1), kinds (2).
func contentRecord(sigver [8]byte, v Verdict, kinds uint16) []byte {
	b := append(append(make([]byte, 0, 11), sigver[:]...), byte(v), 0, 0)
	binary.LittleEndian.PutUint16(b[9:], kinds)
	return b
}

// Put records a scanned file's verdict, and its content's when sha is not
// nil, through the batched writer. Put must not be called after Close.
func (c *Cache) Put(path string, st FileState, sha *[32]byte, kinds uint16, v Verdict) {
	op := writeOp{path: path, rec: encodeRecord(st, c.sigver, v)}
	if sha != nil {
		op.sha = sha[:]
		op.content = contentRecord(c.sigver, v, kinds)
	}
	c.w.put(op)
}

// RootScan is the record of a root's last successful scan.
type RootScan struct {
	Start, End time.Time
	Files      int64
}

// rootRecordLen: start, end, files, and the signature version the scan
// was made under.
const rootRecordLen = 32

// LastScan returns the last successful scan of root under this cache's
// signature version, if any: a scan under other rules (or without
// decoding) does not vouch for the files it did not flag.
func (c *Cache) LastScan(root string) (RootScan, bool) {
	var rs RootScan
	ok := false
	_ = c.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRoots).Get([]byte(root))
		if len(v) != rootRecordLen || !bytes.Equal(v[24:32], c.sigver[:]) {
			return nil
		}
		rs.Start = time.Unix(0, int64(binary.LittleEndian.Uint64(v[0:])))
		rs.End = time.Unix(0, int64(binary.LittleEndian.Uint64(v[8:])))
		rs.Files = int64(binary.LittleEndian.Uint64(v[16:]))
		ok = true
		return nil
	})
	return rs, ok
}

// RecordScan stores a successful scan of root, after flushing the writer
// so that the record never precedes the verdicts it vouches for.
func (c *Cache) RecordScan(root string, rs RootScan) error {
	if err := c.w.flush(); err != nil {
		return err
	}
	v := make([]byte, rootRecordLen)
	copy(v[24:], c.sigver[:])
	binary.LittleEndian.PutUint64(v[0:], uint64(rs.Start.UnixNano()))
	binary.LittleEndian.PutUint64(v[8:], uint64(rs.End.UnixNano()))
	binary.LittleEndian.PutUint64(v[16:], uint64(rs.Files))
	return c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRoots).Put([]byte(root), v)
	})
}

// Stats describes the cache.
type Stats struct {
	Path           string
	SizeBytes      int64
	Files, Content int
	Roots          map[string]RootScan
}

// Stats counts the cache's entries.
func (c *Cache) Stats() (Stats, error) {
	if err := c.w.flush(); err != nil {
		return Stats{}, err
	}
	s := Stats{Path: c.path, Roots: map[string]RootScan{}}
	if st, err := os.Stat(c.path); err == nil {
		s.SizeBytes = st.Size()
	}
	err := c.db.View(func(tx *bolt.Tx) error {
		s.Files = tx.Bucket(bucketFiles).Stats().KeyN
		s.Content = tx.Bucket(bucketContent).Stats().KeyN
		return nil
	})
	if err != nil {
		return s, err
	}
	err = c.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRoots).ForEach(func(k, _ []byte) error {
			s.Roots[string(k)] = RootScan{}
			return nil
		})
	})
	for r := range s.Roots {
		rs, _ := c.LastScan(r)
		s.Roots[r] = rs
	}
	return s, err
}

// splitPath cuts a path at its last slash.
func splitPath(path string) (dir, name string) {
	i := strings.LastIndexByte(path, '/')
	switch {
	case i < 0:
		return ".", path
	case i == 0:
		return "/", path[1:]
	}
	return path[:i], path[i+1:]
}

// fileKey is the files-bucket key of path: its directory's id and its
// name. Keys of whole paths would repeat every directory name per file and
// make the cache twice as big. ok is false when the directory has no id yet.
//
// An id read in a write transaction is not remembered: the transaction
// may yet fail, and an id it made would then belong to nobody.
func (c *Cache) fileKey(tx *bolt.Tx, path string) ([]byte, bool) {
	dir, name := splitPath(path)
	var id []byte
	if v, ok := c.dirs.Load(dir); ok {
		a := v.([4]byte)
		id = a[:]
	} else {
		id = tx.Bucket(bucketDirs).Get([]byte(dir))
		if len(id) != 4 {
			return nil, false
		}
		if !tx.Writable() {
			var a [4]byte
			copy(a[:], id)
			c.dirs.Store(dir, a)
		}
	}
	return append(append(make([]byte, 0, 4+len(name)), id...), name...), true
}

// fileKeyCreate is fileKey in a write transaction, giving the directory an
// id when it has none. Every id it resolves goes into learned, for the
// caller to remember once the transaction has committed.
func (c *Cache) fileKeyCreate(tx *bolt.Tx, path string, learned map[string][4]byte) ([]byte, error) {
	dir, name := splitPath(path)
	key := func(a [4]byte) []byte { return append(append(make([]byte, 0, 4+len(name)), a[:]...), name...) }
	if a, ok := learned[dir]; ok {
		return key(a), nil
	}
	if k, ok := c.fileKey(tx, path); ok {
		learned[dir] = [4]byte(k[:4])
		return k, nil
	}
	dirs := tx.Bucket(bucketDirs)
	seq, err := dirs.NextSequence()
	if err != nil {
		return nil, err
	}
	if seq > 1<<32-1 {
		return nil, fmt.Errorf("more than 2^32 directories")
	}
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], uint32(seq))
	if err := dirs.Put([]byte(dir), a[:]); err != nil {
		return nil, err
	}
	learned[dir] = a
	return key(a), nil
}

// under reports whether dir is root or inside it.
func under(dir, root string) bool {
	if root == "/" || dir == root {
		return true
	}
	return strings.HasPrefix(dir, root) && dir[len(root)] == '/'
}

// EntriesUnder counts the file entries in root's tree.
func (c *Cache) EntriesUnder(roots []string) (int, error) {
	if err := c.w.flush(); err != nil {
		return 0, err
	}
	n := 0
	err := c.db.View(func(tx *bolt.Tx) error {
		ids := map[[4]byte]bool{}
		if err := tx.Bucket(bucketDirs).ForEach(func(k, v []byte) error {
			for _, r := range roots {
				if len(v) == 4 && under(string(k), r) {
					ids[[4]byte(v)] = true
				}
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketFiles).ForEach(func(k, _ []byte) error {
			if len(k) >= 4 && ids[[4]byte(k[:4])] {
				n++
			}
			return nil
		})
	})
	return n, err
}

// Prune removes the entries of files for which exists reports false (the
// file is gone), and directories left without entries. It returns how many
// file entries it removed.
func (c *Cache) Prune(exists func(path string) bool) (int, error) {
	return c.PruneUnder(nil, exists)
}

// PruneUnder is Prune for the trees of roots only (all when roots is empty).
func (c *Cache) PruneUnder(roots []string, exists func(path string) bool) (int, error) {
	if err := c.w.flush(); err != nil {
		return 0, err
	}
	// Read first, delete after: bbolt cursors must not cross deletions.
	dirPath := map[[4]byte]string{}
	var gone [][]byte
	used := map[[4]byte]bool{}
	err := c.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketDirs).ForEach(func(k, v []byte) error {
			if len(v) == 4 {
				dirPath[[4]byte(v)] = string(k)
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketFiles).ForEach(func(k, _ []byte) error {
			if len(k) < 4 {
				gone = append(gone, append([]byte{}, k...))
				return nil
			}
			id := [4]byte(k[:4])
			dir, ok := dirPath[id]
			if ok && !inRoots(dir, roots) {
				used[id] = true
				return nil
			}
			if !ok || !exists(joinPath(dir, string(k[4:]))) {
				gone = append(gone, append([]byte{}, k...))
				return nil
			}
			used[id] = true
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	err = c.db.Update(func(tx *bolt.Tx) error {
		files, dirs := tx.Bucket(bucketFiles), tx.Bucket(bucketDirs)
		for _, k := range gone {
			if err := files.Delete(k); err != nil {
				return err
			}
		}
		for id, dir := range dirPath {
			if !used[id] {
				if err := dirs.Delete([]byte(dir)); err != nil {
					return err
				}
				c.dirs.Delete(dir)
			}
		}
		return nil
	})
	return len(gone), err
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func inRoots(dir string, roots []string) bool {
	if len(roots) == 0 {
		return true
	}
	for _, r := range roots {
		if under(dir, r) {
			return true
		}
	}
	return false
}
