package safefs

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestReadCached(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	// 8 MiB, dropped from 4 MiB: the page cache holds files in folios of up
	// to 2 MiB, and DONTNEED drops only folios wholly in its range.
	data := bytes.Repeat([]byte("0123456789abcdef"), 512<<10)
	must(t, os.WriteFile(path, data, 0o644))

	readAll := func(t *testing.T) (cached int, all []byte) {
		t.Helper()
		f, err := Open(path)
		must(t, err)
		defer f.Close()
		buf := make([]byte, len(data)+1)
		cached = ReadCached(f, buf)
		// The offset moved past what ReadCached returned.
		rest, err := io.ReadAll(f)
		must(t, err)
		return cached, append(buf[:cached], rest...)
	}

	// Just written: all in the page cache.
	cached, all := readAll(t)
	if !bytes.Equal(all, data) {
		t.Fatal("ReadCached + Read did not return the file")
	}
	if cached == 0 {
		t.Skip("RWF_NOWAIT reads not supported here")
	}
	if cached != len(data) {
		t.Errorf("cached %d bytes of a file just written, want %d", cached, len(data))
	}

	// Write back, then drop the second half.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	must(t, err)
	must(t, f.Sync())
	half := int64(len(data) / 2)
	DropCacheFrom(f, half)
	f.Close()
	cached, all = readAll(t)
	if !bytes.Equal(all, data) {
		t.Fatal("ReadCached + Read did not return the file")
	}
	if cached == len(data) {
		t.Skip("DONTNEED had no effect on this filesystem")
	}
	if int64(cached) < half {
		t.Errorf("cached %d bytes after dropping from %d, want at least %d", cached, half, half)
	}

	// Drop everything: nothing is read without waiting for the disk.
	f, err = Open(path)
	must(t, err)
	DropCache(f)
	n := ReadCached(f, make([]byte, 10))
	f.Close()
	if n != 0 {
		t.Errorf("ReadCached read %d bytes of a dropped file", n)
	}
}

func TestReadCachedEdges(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(dir+"/empty", nil, 0o644))
	f, err := Open(dir + "/empty")
	must(t, err)
	defer f.Close()
	if n := ReadCached(f, make([]byte, 10)); n != 0 {
		t.Errorf("empty file: %d bytes", n)
	}
	if n := ReadCached(f, nil); n != 0 {
		t.Errorf("nil buffer: %d bytes", n)
	}
	var nilFile *os.File
	if n := ReadCached(nilFile, make([]byte, 1)); n != 0 {
		t.Errorf("nil file: %d", n)
	}
	DropCacheFrom(nilFile, 0)
}
