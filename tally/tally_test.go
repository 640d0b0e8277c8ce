package tally

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	tb := New()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	add := func(name, ip string, unknown, webmail bool, n int, sec int) {
		var a netip.Addr
		if ip != "" {
			a = netip.MustParseAddr(ip)
		}
		tb.Add(Hit{Name: name, N: n, IP: a, Unknown: unknown, Webmail: webmail, Raw: name + " line " + ip, Time: t0.Add(time.Duration(sec) * time.Second)})
	}
	add("alice", "192.0.2.1", true, false, 1, 5)
	add("alice", "192.0.2.200", false, false, 3, 1) // same /24, earlier: becomes First
	add("alice", "198.51.100.7", true, false, 1, 9)
	add("alice", "2001:db8:1:2::1", false, false, 1, 9)
	add("alice", "2001:db8:1:2::ff", false, false, 1, 9) // same /64
	add("alice", "::ffff:192.0.2.1", false, false, 1, 9) // v4-mapped: same address
	add("alice", "10.0.0.5", false, true, 2, 9)
	add("bob", "", false, false, 1, 0)
	tb.Add(Hit{Name: "carol", Raw: "c"})
	a := tb.Over(func(string) int { return 1 })
	if len(a) != 3 || a[0].Name != "alice" {
		t.Fatalf("order %v", a)
	}
	e := a[0]
	if e.Messages != 10 || e.IPs() != 6 || e.Nets() != 4 || e.Unknowns() != 2 || e.Webmail != 2 ||
		!strings.Contains(e.First, "192.0.2.200") {
		t.Errorf("alice: %d msgs, %d IPs, %d nets, %d unknowns, %d webmail, first %q",
			e.Messages, e.IPs(), e.Nets(), e.Unknowns(), e.Webmail, e.First)
	}
	if got := tb.Over(func(n string) int { return map[string]int{"alice": 11, "bob": 1}[n] }); len(got) != 1 || got[0].Name != "bob" {
		t.Errorf("limits: %v", got)
	}
}

func TestOverrides(t *testing.T) {
	o, err := ParseOverrides("ov", strings.NewReader("# comment\nalice 500\n\nnewsletter 0 # never\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := o.Limit(90)
	if l("alice") != 500 || l("newsletter") != 0 || l("bob") != 90 {
		t.Errorf("limits %d %d %d", l("alice"), l("newsletter"), l("bob"))
	}
	for _, bad := range []string{"alice\n", "alice x\n", "a b c\n", "alice -1\n"} {
		if _, err := ParseOverrides("ov", strings.NewReader(bad)); err == nil || !strings.HasPrefix(err.Error(), "ov:1:") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestMerge(t *testing.T) {
	one, a, b := New(), New(), New()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ {
		h := Hit{Name: []string{"x", "y", "z"}[i%3], IP: netip.AddrFrom4([4]byte{192, 0, byte(i % 7), byte(i % 5)}), Unknown: i%2 == 0,
			Webmail: i%10 == 0, Recipients: 2, Raw: "line", Time: t0.Add(time.Duration(100-i) * time.Second)}
		if i%4 == 1 {
			h.IP = netip.MustParseAddr("2001:db8::1")
		}
		one.Add(h)
		if i < 40 {
			a.Add(h)
		} else {
			b.Add(h)
		}
	}
	a.Merge(b)
	all := func(int) func(string) int { return func(string) int { return 1 } }
	x, y := one.Over(all(1)), a.Over(all(1))
	for i := range x {
		if x[i].Name != y[i].Name || x[i].Messages != y[i].Messages || x[i].IPs() != y[i].IPs() || x[i].Nets() != y[i].Nets() ||
			x[i].Unknowns() != y[i].Unknowns() || x[i].Webmail != y[i].Webmail || x[i].Recipients != y[i].Recipients || !x[i].FirstTime.Equal(y[i].FirstTime) {
			t.Errorf("%s: merged %+v, one table %+v", x[i].Name, y[i], x[i])
		}
	}
}
