package tally

import (
	"cmp"
	"math/bits"
	"net/netip"
	"runtime"
	"slices"
	"sync"
)

// manyAddrs are the IPv4 addresses of a sender with more than its record
// holds, in two sets: an address logged both with and without reverse DNS
// is in both, so that a message costs one insertion.
type manyAddrs struct {
	known, unknown addrSet
}

func (m *manyAddrs) add(a uint32, unknown bool) {
	if unknown {
		m.unknown.add(a)
	} else {
		m.known.add(a)
	}
}

// addV4 records IPv4 address a of r's sender (unknown: logged without
// reverse DNS): in r itself while it has few, else in its manyAddrs.
func (t *Table) addV4(r *record, a uint32, unknown bool) {
	if r.naddrs != spilled {
		if r.addV4(a, unknown) {
			return
		}
		t.more = append(t.more, manyAddrs{})
		r.eachV4(t.more[len(t.more)-1].add)
		r.naddrs, r.unknown, r.addrs[0] = spilled, 0, uint32(len(t.more)-1)
	}
	t.more[r.addrs[0]].add(a, unknown)
}

// v6Key is an IPv6 address with its sender's number<<1 | unknown, a key
// of Table.v6.
type v6Key struct {
	addr [16]byte
	tag  uint64
}

func (t *Table) addV6(id int32, ip netip.Addr, unknown bool) {
	if t.v6 == nil {
		t.v6 = map[v6Key]struct{}{}
	}
	t.v6[v6Key{addr: ip.As16(), tag: uint64(id)<<1 | b2u(unknown)}] = struct{}{}
}

// b2u is 1 for true, 0 for false.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// v4Source is where one table keeps a sender's IPv4 addresses.
type v4Source struct {
	r    *record
	more *manyAddrs // nil: all are in r
}

// countAddrs sets the address counts of out, whose entries' sender
// numbers in t are given by pos (position in out + 1, or 0), from the
// addresses t and the tables merged into it hold (the same address may be
// in several).
func (t *Table) countAddrs(out []*Entry, pos []int32) {
	v4 := make([][]v4Source, len(out))
	v6 := make([][]v6Key, len(out))
	for _, p := range append([]*Table{t}, t.merged...) {
		slot := func(id int32) int32 {
			if p != t {
				id = p.mergedAs[id]
			}
			return pos[id] - 1
		}
		for id := range int32(p.senders.len()) {
			if o := slot(id); o >= 0 {
				r, _ := p.senders.at(id)
				src := v4Source{r: r}
				if r.naddrs == spilled {
					src.more = &p.more[r.addrs[0]]
				}
				v4[o] = append(v4[o], src)
			}
		}
		for k := range p.v6 {
			if o := slot(int32(k.tag >> 1)); o >= 0 {
				v6[o] = append(v6[o], v6Key{addr: k.addr, tag: k.tag & 1})
			}
		}
	}
	// The senders are counted on every core, each with its own counter.
	workers := min(runtime.GOMAXPROCS(0), len(out))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var c v4Counter
			for o := w; o < len(out); o += workers {
				e := out[o]
				e.ips, e.nets, e.unknowns = c.count(v4[o])
				ips, nets, unknowns := countV6(v6[o])
				e.ips += ips
				e.nets += nets
				e.unknowns += unknowns
			}
		})
	}
	wg.Wait()
}

// v4Counter counts one sender's IPv4 addresses at a time, reusing its
// sets.
type v4Counter struct {
	all, unknown, nets addrSet
}

// count returns the distinct addresses in srcs, their /24 networks and
// how many of them were ever logged unknown.
func (c *v4Counter) count(srcs []v4Source) (ips, nets, unknowns int) {
	all, unk := 0, 0
	for _, src := range srcs {
		if src.more == nil {
			all += int(src.r.naddrs)
			unk += bits.OnesCount8(src.r.unknown)
		} else {
			all += src.more.known.len() + src.more.unknown.len()
			unk += src.more.unknown.len()
		}
	}
	c.all.reset(all)
	c.unknown.reset(unk)
	add := func(a uint32, unknown bool) {
		c.all.add(a)
		if unknown {
			c.unknown.add(a)
		}
	}
	for _, src := range srcs {
		src.r.eachV4(add)
		if src.more != nil {
			src.more.known.each(c.all.add)
			src.more.unknown.each(func(a uint32) { add(a, true) })
		}
	}
	c.nets.reset(c.all.len())
	c.all.each(func(a uint32) { c.nets.add(a >> 8) })
	return c.all.len(), c.nets.len(), c.unknown.len()
}

// countV6 counts the distinct addresses, /64 networks and addresses ever
// unknown in keys (tag: unknown; an address may be there more than once).
// It sorts keys.
func countV6(keys []v6Key) (ips, nets, unknowns int) {
	slices.SortFunc(keys, func(a, b v6Key) int {
		if c := cmp.Compare(string(a.addr[:]), string(b.addr[:])); c != 0 {
			return c
		}
		return cmp.Compare(a.tag, b.tag)
	})
	for i, k := range keys {
		if i > 0 && k == keys[i-1] {
			continue
		}
		if i == 0 || k.addr != keys[i-1].addr {
			ips++
			if i == 0 || [8]byte(k.addr[:8]) != [8]byte(keys[i-1].addr[:8]) {
				nets++
			}
		}
		if k.tag == 1 {
			unknowns++
		}
	}
	return ips, nets, unknowns
}
