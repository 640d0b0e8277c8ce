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
)

// Entry is what is known of one sender.
type Entry struct {
	Name       string
	Messages   int
	Recipients int    // for sources that log them (webmail)
	Webmail    int    // messages from a webmail address
	First      string // the first log line seen for this sender
	FirstTime  time.Time

	// Counted by Table.Over.
	ips, nets, unknowns int
}

// IPs is the number of distinct client addresses.
func (e *Entry) IPs() int { return e.ips }

// Unknowns is the number of distinct clients without reverse DNS (logged
// without it at least once).
func (e *Entry) Unknowns() int { return e.unknowns }

// Nets is the number of distinct networks (IPv4 /24, IPv6 /64).
func (e *Entry) Nets() int { return e.nets }

// Hit is one message (or n identical ones) for Table.Add.
type Hit struct {
	Name       string
	N          int        // how many messages (rsyslog "message repeated N times"); 0 means 1
	IP         netip.Addr // zero: none logged
	Unknown    bool       // the client had no reverse DNS name
	Webmail    bool
	Recipients int
	Raw        string    // the log line (copied only when it becomes First)
	Time       time.Time // when it was logged, as parsed (no monotonic clock reading)
}

// Table counts hits by sender name. Not safe for concurrent use.
//
// It is built for logs of millions of messages from many senders, where
// each message's work is a memory access or two far apart: a sender's
// record, found by hashing its name, holds the start of the name (compared
// there) next to its message count and its first few IPv4 addresses, in
// one cache line; a sender with more addresses has sets of its own, one
// probe per message. Nothing is allocated for a sender or an address
// already known.
type Table struct {
	senders senderTable
	more    []manyAddrs        // IPv4 addresses of the senders with many
	v6      map[v6Key]struct{} // IPv6 addresses (rare), with their senders

	// merged are the tables merged into this one: their addresses are
	// only read when Over counts them. Their sender i is this table's
	// mergedAs[i].
	merged   []*Table
	mergedAs []int32
}

// New returns an empty table.
func New() *Table { return &Table{} }

// Len is the number of distinct senders.
func (t *Table) Len() int { return t.senders.len() }

// Add counts a hit.
func (t *Table) Add(h Hit) {
	n := max(h.N, 1)
	r := t.senders.find(h.Name) // no allocation: h.Name may be borrowed
	if r == nil {
		r = t.senders.add(strings.Clone(h.Name))
		t.setFirst(r, strings.Clone(h.Raw), h.Time)
	} else if !h.Time.IsZero() && h.Time.Unix() <= r.firstSec && h.Time.Before(t.senders.detailsOf(r).firstTime) {
		t.setFirst(r, strings.Clone(h.Raw), h.Time)
	}
	r.messages += n
	if h.Recipients != 0 || h.Webmail {
		d := t.senders.detailsOf(r)
		d.recipients += h.Recipients * n
		if h.Webmail {
			d.webmail += n
		}
	}
	if !h.IP.IsValid() {
		return
	}
	ip := h.IP.Unmap()
	if !ip.Is4() {
		t.addV6(r.id-1, ip, h.Unknown)
		return
	}
	b := ip.As4()
	t.addV4(r, uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]), h.Unknown)
}

// setFirst makes line, logged at tm, the first of r's sender.
func (t *Table) setFirst(r *record, line string, tm time.Time) {
	d := t.senders.detailsOf(r)
	d.first, d.firstTime = line, tm
	r.firstSec = tm.Unix()
}

// Over returns the entries with at least limit(name) messages, most
// messages first (then by name), with their addresses counted. A limit of
// 0 or less means no limit applies: the entry is not reported. The entries
// are the table's state when Over was called.
func (t *Table) Over(limit func(name string) int) []*Entry {
	var out []*Entry
	pos := make([]int32, t.senders.len()) // index in out + 1; 0: not reported
	for id := range int32(t.senders.len()) {
		r, d := t.senders.at(id)
		if l := limit(d.name); l > 0 && r.messages >= l {
			out = append(out, &Entry{Name: d.name, Messages: r.messages, Recipients: d.recipients, Webmail: d.webmail,
				First: d.first, FirstTime: d.firstTime})
			pos[id] = int32(len(out))
		}
	}
	if len(out) > 0 {
		t.countAddrs(out, pos)
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
// merged). other must not be used afterwards. Its addresses are not
// copied: t keeps them and reads them when Over counts addresses.
func (t *Table) Merge(other *Table) {
	index := make([]int32, other.senders.len()) // other's sender i is t's index[i]
	for i := range int32(other.senders.len()) {
		or, od := other.senders.at(i)
		r := t.senders.find(od.name)
		if r == nil {
			r = t.senders.add(od.name)
			t.setFirst(r, od.first, od.firstTime)
		} else if d := t.senders.detailsOf(r); d.first == "" || !od.firstTime.IsZero() && od.firstTime.Before(d.firstTime) {
			t.setFirst(r, od.first, od.firstTime)
		}
		r.messages += or.messages
		d := t.senders.detailsOf(r)
		d.recipients += od.recipients
		d.webmail += od.webmail
		index[i] = r.id - 1
	}
	other.mergedAs = index
	for _, m := range other.merged {
		for i, k := range m.mergedAs {
			m.mergedAs[i] = index[k]
		}
	}
	t.merged = append(append(t.merged, other), other.merged...)
	other.merged = nil
}
