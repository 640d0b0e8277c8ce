package clamav

import (
	"bufio"
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
)

// gated is a clamd whose INSTREAM replies wait until gate is closed.
func gated(gate <-chan struct{}) func(*fakeClamd, net.Conn, *bufio.Reader, string) {
	return func(f *fakeClamd, conn net.Conn, br *bufio.Reader, _ string) {
		if _, err := readStream(br, -1); err != nil {
			return
		}
		f.signalArrived()
		select {
		case <-gate:
			reply(conn, "stream: OK")
		case <-f.quit:
		}
	}
}

func TestPoolBoundsConcurrency(t *testing.T) {
	const workers, callers = 3, 10
	gate := make(chan struct{})
	f := startFake(t, gated(gate))
	p := NewPool(&Client{Addr: f.path}, workers)
	if p.Workers() != workers {
		t.Fatalf("Workers = %d", p.Workers())
	}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := p.Scan(context.Background(), []byte("data"))
			errs <- err
		})
	}
	// workers streams reach clamd, and all other callers wait in the pool:
	// from here on nothing can dial until a stream ends.
	for range workers {
		<-f.arrived
	}
	for p.waiting.Load() != callers-workers {
		runtime.Gosched()
	}
	if n := f.active.Load(); n != workers {
		t.Fatalf("%d connections at clamd with %d callers waiting, want %d", n, callers-workers, workers)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if m := f.maxActive.Load(); m != workers {
		t.Fatalf("clamd saw up to %d concurrent connections, want %d", m, workers)
	}
	if n := f.conns.Load(); n != callers {
		t.Fatalf("%d connections, want %d", n, callers)
	}
}

func TestPoolScanCanceledWhileWaiting(t *testing.T) {
	gate := make(chan struct{})
	f := startFake(t, gated(gate))
	p := NewPool(&Client{Addr: f.path}, 0) // at least 1
	if p.Workers() != 1 {
		t.Fatalf("Workers = %d, want 1", p.Workers())
	}
	first := make(chan error, 1)
	go func() {
		_, err := p.Scan(context.Background(), []byte("a"))
		first <- err
	}()
	<-f.arrived
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := p.Scan(ctx, []byte("b"))
		second <- err
	}()
	for p.waiting.Load() != 1 {
		runtime.Gosched()
	}
	cancel()
	err := <-second
	var e *Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &e) || e.Stage != "queue" {
		t.Fatalf("waiting Scan: %v, want context.Canceled at stage queue", err)
	}
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if n := f.conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}
