package tally

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/spamgear/spamgear/maillog"
)

// model is the plain-maps reference Table is checked against: per sender,
// its messages, recipients, webmail, first line and time, and each
// distinct address with whether it was ever unknown.
type model struct {
	senders map[string]*modelSender
}

type modelSender struct {
	messages, recipients, webmail int
	first                         string
	firstTime                     time.Time
	addrs                         map[netip.Addr]bool
}

func (m *model) add(h Hit) {
	n := max(h.N, 1)
	s := m.senders[h.Name]
	if s == nil {
		s = &modelSender{first: h.Raw, firstTime: h.Time, addrs: map[netip.Addr]bool{}}
		m.senders[h.Name] = s
	} else if !h.Time.IsZero() && h.Time.Before(s.firstTime) {
		s.first, s.firstTime = h.Raw, h.Time
	}
	s.messages += n
	s.recipients += h.Recipients * n
	if h.Webmail {
		s.webmail += n
	}
	if h.IP.IsValid() {
		ip := h.IP.Unmap().WithZone("")
		s.addrs[ip] = s.addrs[ip] || h.Unknown
	}
}

// check compares t.Over(all) with the model.
func (m *model) check(t *testing.T, tb *Table, what string) {
	t.Helper()
	got := tb.Over(func(string) int { return 1 })
	if len(got) != len(m.senders) || tb.Len() != len(m.senders) {
		t.Fatalf("%s: %d entries (Len %d), want %d", what, len(got), tb.Len(), len(m.senders))
	}
	for i, e := range got {
		s := m.senders[e.Name]
		if s == nil {
			t.Fatalf("%s: unknown sender %q", what, e.Name)
		}
		nets := map[netip.Prefix]bool{}
		unknowns := 0
		for a, u := range s.addrs {
			nets[maillog.Network(a)] = true
			if u {
				unknowns++
			}
		}
		if e.Messages != s.messages || e.Recipients != s.recipients || e.Webmail != s.webmail || e.First != s.first ||
			!e.FirstTime.Equal(s.firstTime) || e.IPs() != len(s.addrs) || e.Nets() != len(nets) || e.Unknowns() != unknowns {
			t.Errorf("%s: %q: got %d msgs %d rcpt %d webmail %d IPs %d nets %d unknowns first %q; want %d %d %d %d %d %d %q",
				what, e.Name, e.Messages, e.Recipients, e.Webmail, e.IPs(), e.Nets(), e.Unknowns(), e.First,
				s.messages, s.recipients, s.webmail, len(s.addrs), len(nets), unknowns, s.first)
		}
		if i > 0 && (got[i-1].Messages < e.Messages || got[i-1].Messages == e.Messages && got[i-1].Name >= e.Name) {
			t.Errorf("%s: %q before %q", what, got[i-1].Name, e.Name)
		}
	}
}

// randomHits makes hits from senders of every kind: names of all lengths
// (sharing long prefixes, empty, with NUL bytes), a few or many addresses
// (IPv4, IPv4-mapped, IPv6 with zones), logged with and without reverse
// DNS, in and out of time order.
func randomHits(r *rand.Rand, n int) []Hit {
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	long := strings.Repeat("a-long-shared-prefix.", 3)
	names := []string{"", "\x00", "a", "bob", "user@example.org", "exactly-24-bytes-long.xx", "exactly-24-bytes-long.xy",
		long + "1", long + "2", long, "nul\x00end", "spam1", "spam2"}
	for i := range 300 {
		names = append(names, fmt.Sprintf("user%05d@example.org", i))
	}
	hits := make([]Hit, n)
	for i := range hits {
		name := names[r.IntN(len(names))]
		var ip netip.Addr
		switch k := r.IntN(20); {
		case strings.HasPrefix(name, "spam") && k < 16: // botnets: any address
			ip = netip.AddrFrom4([4]byte{byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(4)), byte(r.IntN(256))})
		case k < 14: // a few addresses per sender, one of them 0.0.0.0 at times
			h := uint32(len(name))*2654435761 + uint32(r.IntN(6))*40503
			ip = netip.AddrFrom4([4]byte{byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)})
			if r.IntN(50) == 0 {
				ip = netip.IPv4Unspecified()
			}
		case k < 15:
			ip = netip.AddrFrom16(netip.AddrFrom4([4]byte{192, 0, 2, byte(r.IntN(8))}).As16()) // mapped
		case k < 18:
			ip = netip.MustParseAddr(fmt.Sprintf("2001:db8:%x:%x::%x", r.IntN(3), r.IntN(3), r.IntN(5)))
			if r.IntN(4) == 0 {
				ip = ip.WithZone("eth0")
			}
		}
		hits[i] = Hit{Name: name, N: r.IntN(3), IP: ip, Unknown: r.IntN(4) == 0, Webmail: r.IntN(10) == 0,
			Recipients: r.IntN(3), Raw: fmt.Sprintf("line %d", i), Time: t0.Add(time.Duration(i+r.IntN(50)-25) * time.Second)}
		if r.IntN(100) == 0 {
			hits[i].Time = time.Time{}
		}
	}
	return hits
}

// TestTableModel checks one table, and the same hits spread over several
// tables merged in different shapes, against the model.
func TestTableModel(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 1))
		hits := randomHits(r, 20000)
		m := &model{senders: map[string]*modelSender{}}
		one := New()
		for _, h := range hits {
			m.add(h)
			one.Add(h)
		}
		m.check(t, one, fmt.Sprintf("seed %d, one table", seed))

		// Four parts in order, merged flat and as a tree (a table that has
		// merged others merged into a third).
		parts := func() []*Table {
			ts := []*Table{New(), New(), New(), New()}
			for i, h := range hits {
				ts[i*len(ts)/len(hits)].Add(h)
			}
			return ts
		}
		flat := parts()
		for _, p := range flat[1:] {
			flat[0].Merge(p)
		}
		m.check(t, flat[0], fmt.Sprintf("seed %d, merged flat", seed))
		tree := parts()
		tree[0].Merge(tree[1])
		tree[2].Merge(tree[3])
		tree[0].Merge(tree[2])
		m.check(t, tree[0], fmt.Sprintf("seed %d, merged as a tree", seed))
		// Adding after a merge counts too.
		extra := randomHits(r, 500)
		for _, h := range extra {
			m.add(h)
			tree[0].Add(h)
		}
		m.check(t, tree[0], fmt.Sprintf("seed %d, added after merging", seed))
	}
}

// TestInlineAddresses follows one sender through its record's addresses
// into the address set: flags set before, during and after the move stay.
func TestInlineAddresses(t *testing.T) {
	for n := 1; n <= inlineAddrs+3; n++ {
		tb := New()
		for round := range 3 {
			for i := range n {
				// Address i is unknown in round i%3 only.
				tb.Add(Hit{Name: "u", IP: netip.AddrFrom4([4]byte{10, byte(i / 2), 0, byte(i)}), Unknown: round == i%3})
			}
		}
		e := tb.Over(func(string) int { return 1 })[0]
		if e.IPs() != n || e.Unknowns() != n || e.Nets() != (n+1)/2 || e.Messages != 3*n {
			t.Errorf("%d addresses: %d IPs, %d unknowns, %d nets, %d messages", n, e.IPs(), e.Unknowns(), e.Nets(), e.Messages)
		}
	}
}

// TestRecordSize keeps a sender's record in one cache line.
func TestRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(record{}); unsafe.Sizeof(uintptr(0)) == 8 && n != 64 {
		t.Errorf("record is %d bytes, want 64", n)
	}
}

func TestAddrSet(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var s addrSet
	for round := range 3 {
		want := map[uint32]bool{}
		for range 5000 {
			a := uint32(r.IntN(3000)) << 20 // few distinct addresses, many repeats
			switch r.IntN(50) {
			case 0:
				a = 0
			case 1:
				a = ^uint32(0) // stored apart
			case 2:
				a = r.Uint32()
			}
			if round == 2 {
				a = ^uint32(r.IntN(200)) // the top of the range
			}
			want[a] = true
			s.add(a)
		}
		got := map[uint32]bool{}
		s.each(func(a uint32) {
			if got[a] {
				t.Errorf("round %d: %#x twice", round, a)
			}
			got[a] = true
		})
		if s.len() != len(want) || len(got) != len(want) {
			t.Fatalf("round %d: len %d, each gave %d, want %d", round, s.len(), len(got), len(want))
		}
		for a := range want {
			if !got[a] {
				t.Errorf("round %d: %#x missing", round, a)
			}
		}
		s.reset(r.IntN(100)) // smaller or larger than before: reused or replaced
		if s.len() != 0 {
			t.Fatalf("reset: len %d", s.len())
		}
		s.each(func(a uint32) { t.Fatalf("reset: %#x left", a) })
	}
}
