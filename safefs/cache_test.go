package safefs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// readAll reads path as the scanner does: what is cached first, then the
// rest; it returns how much came from the cache.
func readAll(t *testing.T, path string, size int) (cached int, all []byte) {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(fd)
	buf := make([]byte, size+1)
	n, known := ReadCachedFD(fd, buf, 0)
	if !known {
		t.Skip("RWF_NOWAIT reads not supported here")
	}
	cached = n
	for {
		m, err := unix.Pread(fd, buf[n:], int64(n))
		must(t, err)
		if m == 0 {
			break
		}
		n += m
	}
	return cached, buf[:n]
}

func TestReadCachedFD(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	// 8 MiB, dropped from 4 MiB: the page cache holds files in folios of up
	// to 2 MiB, and DONTNEED drops only folios wholly in its range.
	data := bytes.Repeat([]byte("0123456789abcdef"), 512<<10)
	must(t, os.WriteFile(path, data, 0o644))

	// Just written: all in the page cache.
	cached, all := readAll(t, path, len(data))
	if !bytes.Equal(all, data) {
		t.Fatal("cached + normal reads did not return the file")
	}
	if cached == 0 {
		t.Skip("RWF_NOWAIT reads find nothing cached here")
	}
	if cached != len(data) {
		t.Errorf("cached %d bytes of a file just written, want %d", cached, len(data))
	}

	// Write back, then drop the second half.
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	must(t, err)
	must(t, unix.Fsync(fd))
	half := int64(len(data) / 2)
	DropCacheFD(fd, half)
	unix.Close(fd)
	cached, all = readAll(t, path, len(data))
	if !bytes.Equal(all, data) {
		t.Fatal("cached + normal reads did not return the file")
	}
	if cached == len(data) {
		t.Skip("DONTNEED had no effect on this filesystem")
	}
	if int64(cached) < half {
		t.Errorf("cached %d bytes after dropping from %d, want at least %d", cached, half, half)
	}

	// Drop everything: nothing is read without waiting for the disk.
	fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(fd)
	DropCacheFD(fd, 0)
	if n, _ := ReadCachedFD(fd, make([]byte, 10), 0); n != 0 {
		t.Errorf("read %d bytes of a dropped file from the cache", n)
	}
}

func TestReadCachedFDEdges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty")
	must(t, os.WriteFile(path, nil, 0o644))
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(fd)
	if n, _ := ReadCachedFD(fd, make([]byte, 10), 0); n != 0 {
		t.Errorf("empty file: %d bytes", n)
	}
	if n, _ := ReadCachedFD(fd, nil, 0); n != 0 {
		t.Errorf("nil buffer: %d bytes", n)
	}
}
