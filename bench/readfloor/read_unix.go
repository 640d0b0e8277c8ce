//go:build unix

package main

import (
	"fmt"
	"syscall"
)

func retry(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// readRaw reads the regular file p with open, fstat, read (once, unless the
// kernel returns less) and close, into *buf (grown as needed). It returns -1
// for a file that is not regular (e.g. replaced by a FIFO since the listing).
func readRaw(p string, buf *[]byte) (int64, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", p, err)
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := retry(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		return 0, fmt.Errorf("fstat %s: %w", p, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return -1, nil
	}
	size := int(st.Size)
	if cap(*buf) < size {
		*buf = make([]byte, size)
	}
	b := (*buf)[:size]
	got := 0
	for got < size {
		var n int
		err := retry(func() (err error) {
			n, err = syscall.Read(fd, b[got:])
			return err
		})
		if err != nil {
			return int64(got), fmt.Errorf("read %s: %w", p, err)
		}
		if n == 0 {
			break // truncated since fstat
		}
		got += n
	}
	return int64(got), nil
}
