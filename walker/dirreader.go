package walker

import (
	"context"
	"os"

	"golang.org/x/sys/unix"

	"github.com/spamgear/spamgear/safefs"
)

// reader is one worker's directory reader and its reusable buffers.
type reader struct {
	w       *walker
	buf     []byte
	ents    []dirent
	subdirs []dirJob
}

// readDir lists one directory: it emits its files, reports its skips and
// pushes its subdirectories, batch by batch. It returns an error only when
// ctx is cancelled; a directory that cannot be read is a SkipError.
func (r *reader) readDir(ctx context.Context, job dirJob) error {
	w := r.w
	if w.beforeOpen != nil {
		w.beforeOpen(job.path)
	}
	f, _, err := safefs.OpenDirExpect(job.path, job.dev, job.ino)
	if err != nil {
		w.skip(Skip{Path: job.path, Reason: SkipError, Err: err})
		return nil
	}
	defer f.Close()
	fd := int(f.Fd())
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var eof bool
		r.ents, eof, err = readDirents(fd, r.buf, r.ents[:0])
		if err != nil {
			w.skip(Skip{Path: job.path, Reason: SkipError, Err: &os.PathError{Op: "getdents", Path: job.path, Err: err}})
			return nil
		}
		if eof {
			return nil
		}
		for i := range r.ents {
			if err := r.entry(ctx, fd, job, r.ents[i]); err != nil {
				return err
			}
			r.ents[i] = dirent{}
		}
		w.stack.push(r.subdirs...)
		clear(r.subdirs)
		r.subdirs = r.subdirs[:0]
	}
}

// entry handles one directory entry. The d_type from getdents settles
// symlinks and special files, and files or directories the name filters
// reject, without a stat; everything else is stat'ed relative to the
// directory descriptor, without following, and classified from the stat.
func (r *reader) entry(ctx context.Context, dirfd int, job dirJob, e dirent) error {
	w := r.w
	switch e.dtype {
	case unix.DT_LNK:
		w.skip(Skip{Path: join(job.path, e.name), Reason: SkipSymlink})
		return nil
	case unix.DT_FIFO, unix.DT_CHR, unix.DT_BLK, unix.DT_SOCK:
		w.skip(Skip{Path: join(job.path, e.name), Reason: SkipSpecial})
		return nil
	case unix.DT_REG:
		if !w.filter.name(e.name) {
			w.skip(Skip{Path: join(job.path, e.name), Reason: SkipFilter})
			return nil
		}
	case unix.DT_DIR:
		if !w.filter.dir(e.name) {
			w.skip(Skip{Path: join(job.path, e.name), Reason: SkipFilter})
			return nil
		}
	}
	path := join(job.path, e.name)
	var st unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstatat(dirfd, e.name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if err != nil {
		w.skip(Skip{Path: path, Reason: SkipError, Err: &os.PathError{Op: "lstat", Path: path, Err: err}})
		return nil
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return w.emitFile(ctx, path, e.name, &st, job.fresh)
	}
	switch {
	case !w.filter.dir(e.name):
		w.skip(Skip{Path: path, Reason: SkipFilter})
	case w.oneFS && uint64(st.Dev) != job.rootDev:
		w.skip(Skip{Path: path, Reason: SkipOtherFS})
	default:
		r.subdirs = append(r.subdirs, dirJob{path: path, dev: uint64(st.Dev), ino: uint64(st.Ino), rootDev: job.rootDev,
			fresh: job.fresh || w.filter.dirFresh(&st)})
	}
	return nil
}
