package walker

import "sync"

// dirJob is a directory waiting to be read, as it was stat'ed when found.
type dirJob struct {
	path     string
	dev, ino uint64
	rootDev  uint64 // st_dev of the root it was found under (OneFileSystem)
	fresh    bool   // it or a directory above changed after ChangedAfter
}

// stack is the LIFO of pending directories the workers share. Taking the
// newest directory first walks depth-first, which keeps the stack about as
// long as the tree is deep times its fan-out rather than as wide as the
// tree. The walk is over when the stack is empty and no worker is reading a
// directory (which could still push more).
type stack struct {
	mu      sync.Mutex
	cond    sync.Cond
	jobs    []dirJob
	busy    int  // workers between pop and done
	stopped bool // cancelled: pop returns false at once
}

func newStack() *stack {
	s := &stack{}
	s.cond.L = &s.mu
	return s
}

// push adds directories to read.
func (s *stack) push(jobs ...dirJob) {
	if len(jobs) == 0 {
		return
	}
	s.mu.Lock()
	s.jobs = append(s.jobs, jobs...)
	s.mu.Unlock()
	if len(jobs) == 1 {
		s.cond.Signal()
	} else {
		s.cond.Broadcast()
	}
}

// pop takes the newest directory, waiting while the stack is empty but
// other workers may still push. It returns false when the walk is over or
// stopped; otherwise the caller must call done when it has read the
// directory.
func (s *stack) pop() (dirJob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.jobs) == 0 && s.busy > 0 && !s.stopped {
		s.cond.Wait()
	}
	if s.stopped || len(s.jobs) == 0 {
		return dirJob{}, false
	}
	n := len(s.jobs) - 1
	j := s.jobs[n]
	s.jobs[n] = dirJob{} // drop the path string for the GC
	s.jobs = s.jobs[:n]
	s.busy++
	return j, true
}

// done ends the read of a popped directory.
func (s *stack) done() {
	s.mu.Lock()
	s.busy--
	over := s.busy == 0 && len(s.jobs) == 0
	s.mu.Unlock()
	if over {
		s.cond.Broadcast() // wake the waiting workers so they return
	}
}

// stop makes every pop return false, now and later.
func (s *stack) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.cond.Broadcast()
}

// len returns the number of pending directories.
func (s *stack) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}
