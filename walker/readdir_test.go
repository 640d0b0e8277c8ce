package walker

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// dirent64 encodes one linux_dirent64 record.
func dirent64(ino uint64, typ uint8, name string) []byte {
	reclen := (direntName + len(name) + 1 + 7) &^ 7
	b := make([]byte, reclen)
	binary.NativeEndian.PutUint64(b[direntIno:], ino)
	binary.NativeEndian.PutUint16(b[direntReclen:], uint16(reclen))
	b[direntType] = typ
	copy(b[direntName:], name)
	return b
}

func TestParseDirents(t *testing.T) {
	buf := slices.Concat(
		dirent64(1, unix.DT_DIR, "."),
		dirent64(2, unix.DT_DIR, ".."),
		dirent64(3, unix.DT_REG, "a.php"),
		dirent64(0, unix.DT_REG, "deleted"),
		dirent64(4, unix.DT_LNK, "new\nline"),
		dirent64(5, unix.DT_UNKNOWN, "..."),
		dirent64(6, unix.DT_REG, "1234567"), // name fills the record to 8 bytes
	)
	got := parseDirents(buf, nil)
	want := []dirent{{"a.php", unix.DT_REG}, {"new\nline", unix.DT_LNK}, {"...", unix.DT_UNKNOWN}, {"1234567", unix.DT_REG}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestReadDirents lists a directory larger than one getdents buffer.
func TestReadDirents(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := range 600 {
		name := string(bytes.Repeat([]byte{byte('a' + i%26)}, 1+i%40)) + "\xff" + fmt.Sprintf("%d.%03d", i%10, i)
		must(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
		want = append(want, name)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(fd)
	buf := make([]byte, 1024)
	var got []string
	for batches := 0; ; batches++ {
		ents, eof, err := readDirents(fd, buf, nil)
		must(t, err)
		if eof {
			if batches < 10 {
				t.Errorf("only %d batches", batches)
			}
			break
		}
		for _, e := range ents {
			if e.dtype != unix.DT_REG && e.dtype != unix.DT_UNKNOWN {
				t.Errorf("%q: d_type %d", e.name, e.dtype)
			}
			got = append(got, e.name)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d names, want %d", len(got), len(want))
	}
}

// TestReadDirentsDotsOnlyBatch: a batch holding only "." or ".." is not
// the end of the directory. ext4 returns such a batch when a directory
// block is not cached yet (a scan under I/O load lost whole directories
// this way); a getdents buffer with room for one 24-byte record makes every
// filesystem do it.
func TestReadDirentsDotsOnlyBatch(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), nil, 0o644))
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(fd)
	buf := make([]byte, 24) // one record per batch: names of up to 4 bytes
	var got []string
	emptyBatches := 0
	for {
		ents, eof, err := readDirents(fd, buf, nil)
		must(t, err)
		if eof {
			break
		}
		if len(ents) == 0 {
			emptyBatches++
		}
		for _, e := range ents {
			got = append(got, e.name)
		}
	}
	if len(got) != 5 {
		t.Errorf("listed %v, want 5 names", got)
	}
	if emptyBatches != 2 {
		t.Errorf("%d batches held only a dot entry, want 2", emptyBatches)
	}
}

func FuzzParseDirents(f *testing.F) {
	f.Add(slices.Concat(dirent64(3, unix.DT_REG, "a.php"), dirent64(4, unix.DT_DIR, "d")))
	f.Add([]byte{})
	f.Add(make([]byte, 19))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range parseDirents(b, nil) {
			if e.name == "" || e.name == "." || e.name == ".." || bytes.IndexByte([]byte(e.name), 0) >= 0 {
				t.Fatalf("bad name %q", e.name)
			}
		}
	})
}
