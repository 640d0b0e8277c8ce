package clamav

import (
	"context"
	"sync/atomic"
)

// fallbackWorkers is DefaultWorkers' answer when clamd does not tell.
const fallbackWorkers = 4

// Pool bounds the number of concurrent streams to one clamd, so that scan
// workers wait here rather than in clamd's connection queue. It is safe for
// concurrent use.
type Pool struct {
	c       *Client
	sem     chan struct{}
	waiting atomic.Int64 // Scan calls blocked on sem; for tests
}

// NewPool returns a Pool running at most workers streams at once through c
// (at least 1).
func NewPool(c *Client, workers int) *Pool {
	return &Pool{c: c, sem: make(chan struct{}, max(workers, 1))}
}

// Workers returns the Pool's concurrency limit.
func (p *Pool) Workers() int { return cap(p.sem) }

// Scan waits for a free slot, or for ctx to end, then calls ScanBytes.
func (p *Pool) Scan(ctx context.Context, data []byte) (Result, error) {
	select {
	case p.sem <- struct{}{}:
	default:
		p.waiting.Add(1)
		select {
		case p.sem <- struct{}{}:
			p.waiting.Add(-1)
		case <-ctx.Done():
			p.waiting.Add(-1)
			return Result{}, p.c.fail("INSTREAM", "queue", cause(ctx, ctx.Err(), ""))
		}
	}
	defer func() { <-p.sem }()
	return p.c.ScanBytes(ctx, data)
}

// DefaultWorkers returns clamd's MaxThreads from STATS, or 4 when clamd does
// not answer. More concurrent streams than clamd has threads only wait in
// clamd's connection queue, their deadlines running.
func DefaultWorkers(ctx context.Context, c *Client) int {
	st, err := c.Stats(ctx)
	if err != nil || st.MaxThreads <= 0 {
		return fallbackWorkers
	}
	return st.MaxThreads
}
