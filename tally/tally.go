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
	Recipients int // for sources that log them (webmail)
	Webmail    int // messages from a webmail address
	IPs        map[netip.Addr]struct{}
	Nets       map[netip.Prefix]struct{}
	Unknowns   map[netip.Addr]struct{} // clients logged as unknown[IP]: no reverse DNS
	First      string                  // the first log line seen for this sender
	FirstTime  time.Time
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
		if e.IPs == nil {
			e.IPs, e.Nets = map[netip.Addr]struct{}{}, map[netip.Prefix]struct{}{}
		}
		e.IPs[ip] = struct{}{}
		e.Nets[maillog.Network(ip)] = struct{}{}
		if h.Unknown {
			if e.Unknowns == nil {
				e.Unknowns = map[netip.Addr]struct{}{}
			}
			e.Unknowns[ip] = struct{}{}
		}
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
