package safefs

import (
	"os"

	"golang.org/x/sys/unix"
)

// ReadCached reads into buf, from f's current offset, only bytes that are
// already in the page cache (preadv2 with RWF_NOWAIT, which never waits
// for the disk), advances the offset by as much and returns the count. It
// stops at the first page that is not cached, at the end of the file or
// when buf is full. It returns 0 when the kernel or filesystem cannot
// read this way; the caller then reads the rest normally, and the count
// tells it where the cold part of the file began (see DropCacheFrom).
func ReadCached(f *os.File, buf []byte) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	rc.Control(func(fd uintptr) {
		for n < len(buf) {
			// Offset -1: read at, and advance, the file offset.
			m, err := unix.Preadv2(int(fd), [][]byte{buf[n:]}, -1, unix.RWF_NOWAIT)
			if err == unix.EINTR {
				continue
			}
			if err != nil || m <= 0 { // EAGAIN: the next page is not cached
				return
			}
			short := m < len(buf)-n
			n += m
			if short { // an uncached page or the end of the file
				return
			}
		}
	})
	return n
}

// DropCache tells the kernel that the file's cached pages will not be needed
// again (posix_fadvise POSIX_FADV_DONTNEED), so a scan of a whole server does
// not evict the page cache its sites live on. Errors are ignored: this is
// advice.
func DropCache(f *os.File) {
	DropCacheFrom(f, 0)
}

// DropCacheFrom is DropCache for the part of f from offset off to its end:
// pages before off (found cached by ReadCached, so someone else uses them)
// stay cached. The kernel drops whole pages only, so a page straddling off
// is kept.
func DropCacheFrom(f *os.File, off int64) {
	if f == nil {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		_ = unix.Fadvise(int(fd), off, 0, unix.FADV_DONTNEED)
	})
}

// ReadCachedFD is ReadCached on a bare descriptor, reading at offset off
// without moving the file offset. known is false when the filesystem
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

// DropCacheFD is DropCacheFrom on a bare descriptor.
func DropCacheFD(fd int, off int64) {
	_ = unix.Fadvise(fd, off, 0, unix.FADV_DONTNEED)
}
