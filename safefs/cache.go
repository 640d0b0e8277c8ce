package safefs

import "golang.org/x/sys/unix"

// ReadCachedFD reads into buf, from offset off of the file open at fd and
// without moving its offset, only bytes already in the page cache (preadv2
// with RWF_NOWAIT, which never waits for the disk). It stops at the first
// page that is not cached, at the end of the file or when buf is full; the
// count tells the caller where the cold part of the file began (see
// DropCacheFD). RWF_NOWAIT may start readahead for the cold part: it is a
// heuristic, good enough to leave a busy server's cache as it was. known
// is false when the filesystem
// cannot tell (RWF_NOWAIT unsupported: FUSE, some NFS): then what is cached
// is unknown and the caller should leave the page cache alone.
func ReadCachedFD(fd int, buf []byte, off int64) (n int, known bool) {
	for n < len(buf) {
		m, err := unix.Preadv2(fd, [][]byte{buf[n:]}, off+int64(n), unix.RWF_NOWAIT)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EOPNOTSUPP || err == unix.ENOSYS || err == unix.EINVAL {
			return n, false
		}
		if err != nil || m <= 0 {
			break
		}
		short := m < len(buf)-n
		n += m
		if short {
			break
		}
	}
	return n, true
}

// DropCacheFD advises the kernel that the file's pages from offset off to
// its end will not be needed again (POSIX_FADV_DONTNEED), so a scan of a
// whole server does not fill the page cache with cold files. The kernel
// drops only whole pages (folios of up to 2 MiB) inside the range. Errors
// are ignored: this is advice.
func DropCacheFD(fd int, off int64) {
	_ = unix.Fadvise(fd, off, 0, unix.FADV_DONTNEED)
}
