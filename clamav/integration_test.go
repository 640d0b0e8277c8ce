package clamav_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/spamgear/spamgear/clamav"
	"github.com/spamgear/spamgear/clamav/clamdtest"
)

// TestRealClamd runs the client against a real clamd with a signature
// database of our own. It skips when clamd is not installed.
func TestRealClamd(t *testing.T) {
	const (
		sigName = "Spamgear.Test.Marker"
		marker  = "spamgear-clamd-test-marker-1"
	)
	srv := clamdtest.Start(t, map[string]string{sigName: marker, "Spamgear.Test.Other": "spamgear-other-marker"},
		clamdtest.WithStreamMaxLength("1M"), clamdtest.WithMaxThreads(4))
	t.Logf("clamd answered PING %v after start", srv.StartupTime())
	ctx := context.Background()
	c := &clamav.Client{Addr: srv.Addr(), Timeout: 30 * time.Second}

	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := c.Version(ctx)
	if err != nil || v.Engine == "" {
		t.Fatalf("Version = %+v, %v", v, err)
	}
	t.Logf("VERSION: %q", v.Raw)
	st, err := c.Stats(ctx)
	if err != nil || st.MaxThreads != 4 || st.Live < 1 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
	t.Logf("STATS: %q", st.Raw)
	if n, ok := clamav.ConfigStreamMaxLength(srv.ConfPath()); !ok || n != 1<<20 {
		t.Fatalf("ConfigStreamMaxLength(%s) = %d, %v", srv.ConfPath(), n, ok)
	}

	filler := bytes.Repeat([]byte("<?php echo 'harmless'; ?>\n"), 5000) // 130 KB
	infected := append(append(bytes.Clone(filler[:clamav.ChunkSize-10]), marker...), filler...)
	for _, tt := range []struct {
		name string
		data []byte
		want clamav.Result
	}{
		{"clean", filler, clamav.Result{}},
		{"empty", nil, clamav.Result{}},
		{"marker across chunk boundary", infected, clamav.Result{Infected: true, Signature: clamdtest.ReportedName(sigName)}},
		{"second signature", []byte("x spamgear-other-marker x"), clamav.Result{Infected: true, Signature: "Spamgear.Test.Other.UNOFFICIAL"}},
		{"exactly StreamMaxLength", make([]byte, 1<<20), clamav.Result{}},
	} {
		r, err := c.ScanBytes(ctx, tt.data)
		if err != nil || r != tt.want {
			t.Fatalf("%s: ScanBytes = %+v, %v; want %+v", tt.name, r, err, tt.want)
		}
	}
	for _, n := range []int{1<<20 + 1, 16 << 20} {
		_, err := c.ScanBytes(ctx, make([]byte, n))
		if !errors.Is(err, clamav.ErrSizeLimit) || errors.Is(err, clamav.ErrUnavailable) {
			t.Fatalf("%d bytes: err = %v, want ErrSizeLimit", n, err)
		}
	}

	// A pool sized by clamd's own MaxThreads, more callers than threads.
	p := clamav.NewPool(c, clamav.DefaultWorkers(ctx, c))
	if p.Workers() != 4 {
		t.Fatalf("DefaultWorkers = %d, want 4", p.Workers())
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			data, want := filler, false
			if i%2 == 0 {
				data, want = infected, true
			}
			r, err := p.Scan(ctx, data)
			if err != nil || r.Infected != want {
				t.Errorf("pool scan %d: %+v, %v", i, r, err)
			}
		})
	}
	wg.Wait()

	srv.Kill()
	_, err = c.ScanBytes(ctx, filler)
	if !errors.Is(err, clamav.ErrUnavailable) {
		t.Fatalf("after kill: err = %v, want ErrUnavailable", err)
	}
	t.Logf("after kill: %v", err)
	if n := clamav.DefaultWorkers(ctx, c); n != 4 {
		t.Fatalf("DefaultWorkers with clamd down = %d, want 4", n)
	}
}
