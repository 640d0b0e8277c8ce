// Command readfloor measures the floor under any scanner of a tree: it walks
// the tree in parallel (2×GOMAXPROCS goroutines by default, symlinks never
// followed) and reads every regular file fully, like a scanner would: one
// open, one fstat, one read into a reused per-goroutine buffer, one close.
// Nothing is done with the bytes.
//
//	go run ./bench/readfloor TREE...
//
// It prints one line:
//
//	readfloor: files=N bytes=N seconds=S MB/s=R dirs=N errors=N j=N
//
// (MB = 10^6 bytes). -os reads through os.Open/(*os.File).Read instead of
// raw system calls, to see what the os package costs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// item is a unit of work: a directory to list, or a batch of files to read.
type item struct {
	dir   string
	files []string
}

type floor struct {
	useOS bool

	mu      sync.Mutex
	cond    *sync.Cond
	files   []item // batches of files, served first: the queues stay short
	dirs    []item // directories to list
	pending int    // items queued or being processed

	nfiles, nbytes, ndirs, errs atomic.Int64
	errMu                       sync.Mutex
	shown                       int
}

const batch = 32

func (f *floor) push(it item) {
	f.mu.Lock()
	if it.dir != "" {
		f.dirs = append(f.dirs, it)
	} else {
		f.files = append(f.files, it)
	}
	f.pending++
	f.mu.Unlock()
	f.cond.Signal()
}

func (f *floor) pop() (item, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.files) == 0 && len(f.dirs) == 0 && f.pending > 0 {
		f.cond.Wait()
	}
	if f.pending == 0 {
		return item{}, false
	}
	q := &f.files
	if len(f.files) == 0 {
		q = &f.dirs
	}
	it := (*q)[len(*q)-1] // LIFO: depth first
	*q = (*q)[:len(*q)-1]
	return it, true
}

func (f *floor) done() {
	f.mu.Lock()
	f.pending--
	last := f.pending == 0
	f.mu.Unlock()
	if last {
		f.cond.Broadcast()
	}
}

func (f *floor) fail(err error) {
	f.errs.Add(1)
	f.errMu.Lock()
	defer f.errMu.Unlock()
	if f.shown < 5 {
		fmt.Fprintln(os.Stderr, "readfloor:", err)
		f.shown++
	}
}

func (f *floor) worker(wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, 256<<10)
	for {
		it, ok := f.pop()
		if !ok {
			return
		}
		if it.dir != "" {
			f.list(it.dir)
		}
		for _, p := range it.files {
			var n int64
			var err error
			if f.useOS {
				n, err = readOS(p, &buf)
			} else {
				n, err = readRaw(p, &buf)
			}
			if err != nil {
				f.fail(err)
				continue
			}
			if n >= 0 {
				f.nfiles.Add(1)
				f.nbytes.Add(n)
			}
		}
		f.done()
	}
}

// list reads a directory: subdirectories are queued, regular files queued in
// batches; symlinks and special files are skipped (d_type, no lstat).
func (f *floor) list(dir string) {
	f.ndirs.Add(1)
	d, err := os.Open(dir)
	if err != nil {
		f.fail(err)
		return
	}
	defer d.Close()
	var files []string
	for {
		ents, err := d.ReadDir(1024)
		for _, e := range ents {
			p := dir + string(filepath.Separator) + e.Name()
			switch t := e.Type(); {
			case t.IsDir():
				f.push(item{dir: p})
			case t.IsRegular():
				files = append(files, p)
				if len(files) == batch {
					f.push(item{files: files})
					files = nil
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			f.fail(err)
			break
		}
	}
	if len(files) > 0 {
		f.push(item{files: files})
	}
}

// readOS is what a plain Go scanner does.
func readOS(p string, buf *[]byte) (int64, error) {
	fh, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return 0, err
	}
	if !st.Mode().IsRegular() {
		return -1, nil
	}
	size := int(st.Size())
	if cap(*buf) < size {
		*buf = make([]byte, size)
	}
	b := (*buf)[:size]
	got := 0
	for got < size {
		n, err := fh.Read(b[got:])
		got += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return int64(got), err
		}
	}
	return int64(got), nil
}

func main() {
	j := flag.Int("j", 2*runtime.GOMAXPROCS(0), "goroutines walking and reading")
	useOS := flag.Bool("os", false, "read with os.Open/(*os.File).Read instead of raw system calls")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: readfloor [-j N] [-os] TREE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *j < 1 {
		flag.Usage()
		os.Exit(2)
	}
	f := &floor{useOS: *useOS}
	f.cond = sync.NewCond(&f.mu)
	start := time.Now()
	for _, root := range flag.Args() {
		st, err := os.Lstat(root)
		switch {
		case err != nil:
			fmt.Fprintln(os.Stderr, "readfloor:", err)
			os.Exit(2)
		case st.IsDir():
			f.push(item{dir: filepath.Clean(root)})
		case st.Mode().IsRegular():
			f.push(item{files: []string{root}})
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < *j; i++ {
		wg.Add(1)
		go f.worker(&wg)
	}
	wg.Wait()
	sec := time.Since(start).Seconds()
	fmt.Printf("readfloor: files=%d bytes=%d seconds=%.3f MB/s=%.1f dirs=%d errors=%d j=%d\n",
		f.nfiles.Load(), f.nbytes.Load(), sec, float64(f.nbytes.Load())/1e6/sec, f.ndirs.Load(), f.errs.Load(), *j)
	if f.errs.Load() > 0 {
		os.Exit(3)
	}
}
