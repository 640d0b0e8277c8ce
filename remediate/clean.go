package remediate

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// CleanFunc decides what a cleaned file holds. Given the file's content, it
// returns the cleaned content and ok, or ok false with the reason when the
// file cannot be cleaned (what is left still matches, or is empty) and must
// be quarantined whole. It must not keep content.
type CleanFunc func(content []byte) (cleaned []byte, ok bool, why string)

// MaxCleanSize bounds the files Clean reads into memory; larger ones are
// quarantined whole.
const MaxCleanSize = 64 << 20

// Clean replaces the subject with the content clean makes of it, keeping
// the original in quarantine with a manifest record (action "clean"). When
// clean says no, the file is quarantined whole (action "quarantine", the
// reason in Detail). Order: manifest record, verified copy of the original
// in quarantine, cleaned content written to a temporary file in the same
// directory with the original's owner and mode, synced, then renamed over
// the original if that is still the same unchanged file. A crash leaves the
// original in place (and perhaps a copy in quarantine), or the cleaned file
// in place and the original in quarantine.
func (q *Quarantine) Clean(s Subject, clean CleanFunc) (Record, error) {
	src, err := openSource(s)
	if err != nil {
		return Record{}, err
	}
	defer src.close()
	if src.st.Size > MaxCleanSize {
		if src.sha, err = hashFD(src.fd, src.st.Size); err != nil {
			return Record{}, fmt.Errorf("%s: %w", s.Path, err)
		}
		return q.moveOpened(s, src, "too large to clean")
	}
	content, err := readAllFD(src.fd, src.st.Size)
	if err != nil {
		return Record{}, fmt.Errorf("%s: %w", s.Path, err)
	}
	src.sha = hashBytes(content)
	cleaned, ok, why := clean(content)
	if !ok {
		return q.moveOpened(s, src, why)
	}
	rec := q.record(ActClean, s, src)
	rec.Detail = fmt.Sprintf("removed %d bytes", len(content)-len(cleaned))
	err = q.act(src, &rec, func(qdir int, qname string) error { return q.replace(src, content, cleaned, qdir, qname) })
	return rec, err
}

// replace keeps content in quarantine as qname, then puts cleaned in the
// source's place.
func (q *Quarantine) replace(src *source, content, cleaned []byte, qdir int, qname string) error {
	keep, err := writeNew(qdir, qname, content, 0)
	if err != nil {
		return fmt.Errorf("%s: copy to quarantine: %w", src.path, err)
	}
	unkeep := func(err error) error {
		_ = unix.Unlinkat(qdir, qname, 0)
		return err
	}
	if keep != src.sha {
		return unkeep(fmt.Errorf("%s: %w: the copy in quarantine does not match the original", src.path, ErrChanged))
	}
	_ = unix.Fsync(qdir)
	q.at("copied")
	tmp := tempName(src.name)
	fd, err := unix.Openat(src.dirfd, tmp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return unkeep(fmt.Errorf("%s: write cleaned file: %w", src.path, err))
	}
	untmp := func(err error) error {
		unix.Close(fd)
		_ = unix.Unlinkat(src.dirfd, tmp, 0)
		return unkeep(err)
	}
	if err := writeAll(fd, cleaned); err != nil {
		return untmp(fmt.Errorf("%s: write cleaned file: %w", src.path, err))
	}
	// Owner before mode: chown clears set-id bits.
	if err := unix.Fchown(fd, int(src.st.Uid), int(src.st.Gid)); err != nil && unix.Geteuid() == 0 {
		return untmp(fmt.Errorf("%s: chown cleaned file: %w", src.path, err))
	}
	if err := unix.Fchmod(fd, src.st.Mode&0o7777); err != nil {
		return untmp(fmt.Errorf("%s: chmod cleaned file: %w", src.path, err))
	}
	if err := unix.Fsync(fd); err != nil {
		return untmp(fmt.Errorf("%s: write cleaned file: %w", src.path, err))
	}
	q.at("written")
	st, err := statAt(src.dirfd, src.name)
	if err != nil || st.Dev != src.st.Dev || st.Ino != src.st.Ino || st.Size != src.st.Size ||
		st.Mtim != src.st.Mtim {
		return untmp(fmt.Errorf("%s: %w while it was being cleaned", src.path, ErrChanged))
	}
	if err := unix.Renameat(src.dirfd, tmp, src.dirfd, src.name); err != nil {
		return untmp(fmt.Errorf("%s: replace with cleaned file: %w", src.path, err))
	}
	unix.Close(fd)
	_ = unix.Fsync(src.dirfd)
	return nil
}
