package tally

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// benchHits are submissions shaped like bench/genmaillog's: 20,000 users
// with three addresses each, and 25 spammers (35% of the messages) from
// random addresses.
func benchHits(n int) []Hit {
	r := rand.New(rand.NewPCG(1, 2))
	users := make([]string, 20000)
	for i := range users {
		users[i] = fmt.Sprintf("user%05d@example.org", i)
	}
	spammers := make([]string, 25)
	for i := range spammers {
		spammers[i] = fmt.Sprintf("spam%03d@example.net", i)
	}
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	hits := make([]Hit, n)
	for i := range hits {
		var name string
		var a [4]byte
		if r.IntN(100) < 35 {
			name = spammers[r.IntN(len(spammers))]
			a = [4]byte{byte(r.IntN(220) + 1), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(254) + 1)}
		} else {
			u := r.IntN(len(users))
			name = users[u]
			h := uint32(u)*2654435761 + uint32(r.IntN(3))*40503
			a = [4]byte{byte(h>>24)%220 + 1, byte(h >> 16), byte(h >> 8), byte(h)%254 + 1}
		}
		hits[i] = Hit{Name: name, IP: netip.AddrFrom4(a), Unknown: r.IntN(4) == 0, Raw: "line", Time: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	return hits
}

// BenchmarkAdd is the cost of a message (-benchmem: nothing allocated once
// senders and addresses are known).
func BenchmarkAdd(b *testing.B) {
	hits := benchHits(1 << 20)
	b.ReportAllocs()
	t := New()
	for i := 0; b.Loop(); i++ {
		if i%len(hits) == 0 && i > 0 {
			t = New()
		}
		t.Add(hits[i%len(hits)])
	}
}

// BenchmarkMergeOver is the serial end of a parallel count: two tables of
// 900,000 messages each merged, then the senders over 90 messages
// reported.
func BenchmarkMergeOver(b *testing.B) {
	hits := benchHits(1800000)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		x, y := New(), New()
		for i, h := range hits {
			if i < len(hits)/2 {
				x.Add(h)
			} else {
				y.Add(h)
			}
		}
		b.StartTimer()
		x.Merge(y)
		if len(x.Over(func(string) int { return 90 })) == 0 {
			b.Fatal("nobody reported")
		}
	}
}
