package clamav

import (
	"context"
	"runtime"
	"testing"
)

// TestNoGoroutineGrowth runs many scans, clean and infected, and checks that
// the client leaves no goroutine behind (go-clamd leaked one per stream).
func TestNoGoroutineGrowth(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	f := startFake(t, clamdLike(-1, markerVerdict("Leak.Test")))
	c := &Client{Addr: f.path}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clean, evil := []byte("clean data"), []byte("an EVIL buffer")
	scan := func(i int) {
		data, want := clean, false
		if i%2 == 1 {
			data, want = evil, true
		}
		r, err := c.ScanBytes(ctx, data)
		if err != nil || r.Infected != want {
			t.Fatalf("scan %d: %+v, %v", i, r, err)
		}
	}
	scan(0) // warm up lazily started runtime goroutines
	for f.active.Load() != 0 {
		runtime.Gosched()
	}
	before := runtime.NumGoroutine()
	for i := range n {
		scan(i)
	}
	for f.active.Load() != 0 { // the fake's handlers finish after the client closes
		runtime.Gosched()
	}
	after := runtime.NumGoroutine()
	if after > before+3 {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		t.Fatalf("goroutines grew from %d to %d after %d scans:\n%s", before, after, n,
			stacks[:min(len(stacks), 8000)])
	}
}
