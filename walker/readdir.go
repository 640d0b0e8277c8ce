package walker

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// dirent is one entry of a getdents64 batch.
type dirent struct {
	name  string
	dtype uint8 // unix.DT_*; DT_UNKNOWN on filesystems that do not say
}

// Offsets in struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen,
// u8 d_type, char d_name[] (NUL-terminated, padded to 8 bytes).
const (
	direntIno    = 0
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

// readDirents reads the next batch of entries of the directory open at fd
// into buf and appends them to ents, without "." and "..". eof is true only
// when getdents returned nothing: a batch can hold no entry worth keeping
// (ext4 may return "." and ".." alone while it waits for a cold directory
// block), which is not the end of the directory.
func readDirents(fd int, buf []byte, ents []dirent) (_ []dirent, eof bool, err error) {
	var n int
	for {
		n, err = unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return ents, false, err
		}
		break
	}
	if n == 0 {
		return ents, true, nil
	}
	return parseDirents(buf[:n], ents), false, nil
}

// parseDirents decodes a getdents64 buffer. Names are copied byte for byte:
// any byte but '/' and NUL may occur in them.
func parseDirents(b []byte, ents []dirent) []dirent {
	for len(b) >= direntName {
		reclen := int(binary.NativeEndian.Uint16(b[direntReclen:]))
		if reclen < direntName || reclen > len(b) {
			break // cannot happen with a sane kernel
		}
		rec := b[:reclen]
		b = b[reclen:]
		if binary.NativeEndian.Uint64(rec[direntIno:]) == 0 {
			continue // deleted entry, as in syscall.ParseDirent
		}
		name := rec[direntName:]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if len(name) == 0 || (name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.')) {
			continue
		}
		ents = append(ents, dirent{name: string(name), dtype: rec[direntType]})
	}
	return ents
}
