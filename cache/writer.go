package cache

import (
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Batching: one transaction per batchSize records or per batchDelay,
// whichever comes first. A transaction per file would make the cache the
// slowest part of a scan.
const (
	batchSize  = 8192
	batchDelay = 500 * time.Millisecond
)

type writeOp struct {
	path         string
	rec          []byte
	sha, content []byte // content verdict, when sha != nil
	flushed      chan error
}

// writer is the cache's one writing goroutine.
type writer struct {
	c    *Cache
	ops  chan writeOp
	done chan struct{}
	once sync.Once
	err  error // first write error, reported by close and flush
	mu   sync.Mutex
}

func newWriter(c *Cache) *writer {
	w := &writer{c: c, ops: make(chan writeOp, batchSize), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *writer) put(op writeOp) { w.ops <- op }

// flush waits until everything put so far is committed; from then on
// reads see it (a fresh cache stops answering "not there" unread).
func (w *writer) flush() error {
	ch := make(chan error, 1)
	w.ops <- writeOp{flushed: ch}
	err := <-ch
	w.c.fresh.Store(false)
	return err
}

func (w *writer) close() error {
	var err error
	w.once.Do(func() {
		err = w.flush()
		close(w.ops)
		<-w.done
	})
	return err
}

func (w *writer) run() {
	defer close(w.done)
	var batch []writeOp
	timer := time.NewTimer(batchDelay)
	defer timer.Stop()
	commit := func() {
		if len(batch) == 0 {
			return
		}
		// Sorted keys touch each page once. File keys (directory id, then
		// name) mostly grow, so a high fill keeps their pages full when
		// bbolt splits them at commit; content keys (SHA-256) land
		// anywhere, and a high fill would split each full page into a
		// full one and a nearly empty one: they keep the default 0.5.
		// Measured on 196k files: 262 -> 170 bytes per file.
		slices.SortFunc(batch, func(a, b writeOp) int { return strings.Compare(a.path, b.path) })
		learned := map[string][4]byte{}
		err := w.c.db.Update(func(tx *bolt.Tx) error {
			files, content := tx.Bucket(bucketFiles), tx.Bucket(bucketContent)
			files.FillPercent = 0.95
			for _, op := range batch {
				key, err := w.c.fileKeyCreate(tx, op.path, learned)
				if err != nil {
					return err
				}
				if err := files.Put(key, op.rec); err != nil {
					return err
				}
				if op.sha != nil {
					if err := content.Put(op.sha, op.content); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err == nil {
			for dir, id := range learned {
				w.c.dirs.Store(dir, id)
			}
		}
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
		batch = batch[:0]
	}
	for {
		select {
		case op, ok := <-w.ops:
			if !ok {
				commit()
				return
			}
			if op.flushed != nil {
				commit()
				w.mu.Lock()
				op.flushed <- w.err
				w.mu.Unlock()
				continue
			}
			batch = append(batch, op)
			if len(batch) >= batchSize {
				commit()
			}
		case <-timer.C:
			commit()
			timer.Reset(batchDelay)
		}
	}
}
