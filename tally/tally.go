// Package tally counts, per sender (a SASL user, a local user, a host, a
// PHP script), the mail that mailscan's parsers find in a time window: how
// many messages, from how many addresses and networks, how many of those
// clients had no reverse DNS, how many came through webmail, and the first
// log line. Memory grows with the number of distinct senders and addresses,
// never with the size of the log.
package tally

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spamgear/spamgear/maillog"
)

// Entry is what is known of one sender.
type Entry struct {
	Name       string
	Messages   int
	Recipients int    // for sources that log them (webmail)
	Webmail    int    // messages from a webmail address
	First      string // the first log line seen for this sender
	FirstTime  time.Time

	// Distinct addresses, each with whether it was ever logged without
	// reverse DNS; networks are derived from them when asked.
	addrs addrSet
}

// IPs is the number of distinct client addresses.
func (e *Entry) IPs() int { return len(e.addrs.v4) + len(e.addrs.v6) }

// Unknowns is the number of distinct clients without reverse DNS.
func (e *Entry) Unknowns() int {
	n := 0
	for _, u := range e.addrs.v4 {
		if u {
			n++
		}
	}
	for _, u := range e.addrs.v6 {
		if u {
			n++
		}
	}
	return n
}

// Nets is the number of distinct networks (IPv4 /24, IPv6 /64).
func (e *Entry) Nets() int {
	nets := make(map[[16]byte]struct{}, e.IPs())
	for k := range e.addrs.v4 {
		nets[maillog.Network(netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)})).Addr().As16()] = struct{}{}
	}
	for k := range e.addrs.v6 {
		nets[maillog.Network(netip.AddrFrom16(k)).Addr().As16()] = struct{}{}
	}
	return len(nets)
}

// addrSet maps addresses to their "unknown" flag: IPv4 as uint32 keys (the
// runtime's fast 32-bit map path; no pointers for the GC to scan), IPv6 as
// 16 bytes. One map operation per message.
type addrSet struct {
	v4 map[uint32]bool
	v6 map[[16]byte]bool
}

func (s *addrSet) add(ip netip.Addr, unknown bool) {
	if ip.Is4() {
		if s.v4 == nil {
			s.v4 = map[uint32]bool{}
		}
		b := ip.As4()
		k := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if unknown {
			s.v4[k] = true
		} else if _, ok := s.v4[k]; !ok {
			s.v4[k] = false
		}
		return
	}
	if s.v6 == nil {
		s.v6 = map[[16]byte]bool{}
	}
	k := ip.As16()
	if unknown {
		s.v6[k] = true
	} else if _, ok := s.v6[k]; !ok {
		s.v6[k] = false
	}
}

// Hit is one message (or n identical ones) for Table.Add.
type Hit struct {
	Name       string
	N          int        // how many messages (rsyslog "message repeated N times"); 0 means 1
	IP         netip.Addr // zero: none logged
	Unknown    bool       // the client had no reverse DNS name
	Webmail    bool
	Recipients int
	Raw        string // the log line (copied only when it becomes First)
	Time       time.Time
}

// Table counts hits by sender name. Not safe for concurrent use.
type Table struct {
	entries map[string]*Entry
}

// New returns an empty table.
func New() *Table { return &Table{entries: map[string]*Entry{}} }

// Len is the number of distinct senders.
func (t *Table) Len() int { return len(t.entries) }

// Add counts a hit.
func (t *Table) Add(h Hit) {
	n := max(h.N, 1)
	e := t.entries[h.Name]
	if e == nil {
		e = &Entry{Name: strings.Clone(h.Name), First: strings.Clone(h.Raw), FirstTime: h.Time}
		t.entries[e.Name] = e
	} else if !h.Time.IsZero() && h.Time.Before(e.FirstTime) {
		e.First, e.FirstTime = strings.Clone(h.Raw), h.Time
	}
	e.Messages += n
	e.Recipients += h.Recipients * n
	if h.Webmail {
		e.Webmail += n
	}
	if h.IP.IsValid() {
		ip := h.IP.Unmap()
		e.addrs.add(ip, h.Unknown)
	}
}

// Over returns the entries with at least limit(name) messages, most
// messages first (then by name). A limit of 0 or less means no limit
// applies: the entry is not reported.
func (t *Table) Over(limit func(name string) int) []*Entry {
	var out []*Entry
	for _, e := range t.entries {
		if l := limit(e.Name); l > 0 && e.Messages >= l {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *Entry) int {
		if c := cmp.Compare(b.Messages, a.Messages); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Merge adds other's counts into t (tables filled in parallel, then
// merged). other must not be used afterwards.
func (t *Table) Merge(other *Table) {
	for name, o := range other.entries {
		e := t.entries[name]
		if e == nil {
			t.entries[name] = o
			continue
		}
		e.Messages += o.Messages
		e.Recipients += o.Recipients
		e.Webmail += o.Webmail
		if e.First == "" || !o.FirstTime.IsZero() && o.FirstTime.Before(e.FirstTime) {
			e.First, e.FirstTime = o.First, o.FirstTime
		}
		e.addrs.merge(&o.addrs)
	}
}

func (s *addrSet) merge(o *addrSet) {
	if s.v4 == nil {
		s.v4 = o.v4
	} else {
		for k, u := range o.v4 {
			s.v4[k] = s.v4[k] || u
		}
	}
	if s.v6 == nil {
		s.v6 = o.v6
	} else {
		for k, u := range o.v6 {
			s.v6[k] = s.v6[k] || u
		}
	}
}
