package maillog

import (
	"net/netip"
	"strings"
	"testing"
	"unsafe"
)

// requireSubstringOf fails the test unless out is empty or shares memory
// with in: the parsers must return slices of their input, not copies.
func requireSubstringOf(t testing.TB, in, out, field string) {
	t.Helper()
	if out == "" {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.StringData(in)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(out)))
	if in == "" || p < lo || p+uintptr(len(out)) > lo+uintptr(len(in)) {
		t.Fatalf("%s %q is not a substring of the input %q", field, out, in)
	}
}

var postfixSASLTests = []struct {
	name string
	msg  string
	ok   bool
	want SASLLogin
	ip   string
}{
	{
		name: "plain", ok: true,
		msg:  "3F2A81C0A2B: client=mail.example.com[192.0.2.10], sasl_method=PLAIN, sasl_username=alice@example.com",
		want: SASLLogin{QueueID: "3F2A81C0A2B", ClientName: "mail.example.com", Method: "PLAIN", User: "alice@example.com"},
		ip:   "192.0.2.10",
	},
	{
		name: "long queue id, unknown name", ok: true,
		msg:  "4Kq2mX0fVSz9sRm: client=unknown[198.51.100.7], sasl_method=LOGIN, sasl_username=bob",
		want: SASLLogin{QueueID: "4Kq2mX0fVSz9sRm", ClientName: "unknown", Method: "LOGIN", User: "bob"},
		ip:   "198.51.100.7",
	},
	{
		name: "ipv6", ok: true,
		msg:  "A1B2C3D4E5: client=unknown[2001:db8::1], sasl_method=PLAIN, sasl_username=carol+tag@example.org",
		want: SASLLogin{QueueID: "A1B2C3D4E5", ClientName: "unknown", Method: "PLAIN", User: "carol+tag@example.org"},
		ip:   "2001:db8::1",
	},
	{
		name: "ipv6 prefix and mapped ipv4", ok: true,
		msg:  "A1B2C3D4E5: client=unknown[IPv6:::ffff:192.0.2.44], sasl_method=PLAIN, sasl_username=x",
		want: SASLLogin{QueueID: "A1B2C3D4E5", ClientName: "unknown", Method: "PLAIN", User: "x"},
		ip:   "192.0.2.44",
	},
	{
		name: "client port logging", ok: true,
		msg:  "A1B2C3D4E5: client=host.example.net[203.0.113.5]:52144, sasl_method=PLAIN, sasl_username=dave",
		want: SASLLogin{QueueID: "A1B2C3D4E5", ClientName: "host.example.net", Method: "PLAIN", User: "dave"},
		ip:   "203.0.113.5",
	},
	{
		name: "sasl_sender after the user", ok: true,
		msg:  "B00B5: client=unknown[192.0.2.1], sasl_method=CRAM-MD5, sasl_username=eve@example.com, sasl_sender=spoof@example.net",
		want: SASLLogin{QueueID: "B00B5", ClientName: "unknown", Method: "CRAM-MD5", User: "eve@example.com"},
		ip:   "192.0.2.1",
	},
	{
		name: "forwarded fields", ok: true,
		msg:  "C0FFEE: client=relay.example[192.0.2.2], sasl_method=PLAIN, sasl_username=frank, orig_queue_id=ABCDEF, orig_client=mx.example[192.0.2.99]",
		want: SASLLogin{QueueID: "C0FFEE", ClientName: "relay.example", Method: "PLAIN", User: "frank"},
		ip:   "192.0.2.2",
	},
	{
		name: "no method", ok: true,
		msg:  "ABCDEF0123: client=x.example[192.0.2.3], sasl_username=gina",
		want: SASLLogin{QueueID: "ABCDEF0123", ClientName: "x.example", User: "gina"},
		ip:   "192.0.2.3",
	},
	{
		name: "NOQUEUE in proxy mode", ok: true,
		msg:  "NOQUEUE: client=unknown[192.0.2.4], sasl_method=PLAIN, sasl_username=henry",
		want: SASLLogin{QueueID: "NOQUEUE", ClientName: "unknown", Method: "PLAIN", User: "henry"},
		ip:   "192.0.2.4",
	},
	{
		name: "user with comma that starts no field", ok: true,
		msg:  "ABC: client=unknown[192.0.2.5], sasl_method=PLAIN, sasl_username=odd, user",
		want: SASLLogin{QueueID: "ABC", ClientName: "unknown", Method: "PLAIN", User: "odd, user"},
		ip:   "192.0.2.5",
	},
	{
		name: "hostile: sasl_username= inside the client name", ok: true,
		msg:  "ABC: client=sasl_username=evil[192.0.2.6], sasl_method=PLAIN, sasl_username=real",
		want: SASLLogin{QueueID: "ABC", ClientName: "sasl_username=evil", Method: "PLAIN", User: "real"},
		ip:   "192.0.2.6",
	},
	{
		name: "hostile: sender imitates a second user", ok: true,
		msg:  "ABC: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=joe, sasl_sender=x, sasl_username=admin",
		want: SASLLogin{QueueID: "ABC", ClientName: "unknown", Method: "PLAIN", User: "joe"},
		ip:   "192.0.2.7",
	},
	{
		name: "hostile: carriage return and NUL kept raw", ok: true,
		msg:  "ABC: client=a\x00b[192.0.2.8], sasl_method=PLAIN, sasl_username=u\x00v\r",
		want: SASLLogin{QueueID: "ABC", ClientName: "a\x00b", Method: "PLAIN", User: "u\x00v\r"},
		ip:   "192.0.2.8",
	},
	{
		name: "hostile: very long user", ok: true,
		msg:  "ABC: client=unknown[192.0.2.9], sasl_method=PLAIN, sasl_username=" + strings.Repeat("a", 100000),
		want: SASLLogin{QueueID: "ABC", ClientName: "unknown", Method: "PLAIN", User: strings.Repeat("a", 100000)},
		ip:   "192.0.2.9",
	},
	{
		name: "zone", ok: true,
		msg:  "ABC: client=unknown[fe80::1%eth0], sasl_method=PLAIN, sasl_username=z",
		want: SASLLogin{QueueID: "ABC", ClientName: "unknown", Method: "PLAIN", User: "z"},
		ip:   "fe80::1%eth0",
	},
	{name: "no sasl", msg: "3F2A81C0A2B: client=mail.example.com[192.0.2.10]"},
	{name: "forwarded, no sasl", msg: "3F2A81C0A2B: client=mail.example.com[192.0.2.10], orig_queue_id=X, orig_client=y[192.0.2.1]"},
	{name: "connect", msg: "connect from unknown[192.0.2.1]"},
	{name: "auth failure", msg: "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"},
	{name: "reject", msg: "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<h>"},
	{name: "unknown address", msg: "ABC: client=unknown[unknown], sasl_method=PLAIN, sasl_username=x"},
	{name: "empty user", msg: "ABC: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username="},
	{name: "empty user before sender", msg: "ABC: client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=, sasl_sender=a@b"},
	{name: "missing brackets", msg: "ABC: client=host192.0.2.1, sasl_method=PLAIN, sasl_username=x"},
	{name: "missing close bracket", msg: "ABC: client=host[192.0.2.1, sasl_method=PLAIN, sasl_username=x"},
	{name: "port without digits", msg: "ABC: client=host[192.0.2.1]:, sasl_method=PLAIN, sasl_username=x"},
	{name: "junk after address", msg: "ABC: client=host[192.0.2.1]x, sasl_method=PLAIN, sasl_username=x"},
	{name: "method without user", msg: "ABC: client=host[192.0.2.1], sasl_method=PLAIN"},
	{name: "space in queue id", msg: "AB C: client=host[192.0.2.1], sasl_method=PLAIN, sasl_username=x"},
	{name: "no queue id", msg: ": client=host[192.0.2.1], sasl_method=PLAIN, sasl_username=x"},
	{name: "empty", msg: ""},
	{name: "NUL", msg: "\x00"},
}

func TestParsePostfixSASL(t *testing.T) {
	for _, tc := range postfixSASLTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParsePostfixSASL(tc.msg)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				if got != (SASLLogin{}) {
					t.Fatalf("not ok but got %+v", got)
				}
				return
			}
			want := tc.want
			want.ClientIP = netip.MustParseAddr(tc.ip)
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestIsPostfixSMTPD(t *testing.T) {
	for prog, want := range map[string]bool{
		"postfix/smtpd":            true,
		"postfix/submission/smtpd": true,
		"postfix/smtps/smtpd":      true,
		"postfix-out/smtpd":        true,
		"postfix/smtp":             false,
		"postfix/qmgr":             false,
		"postfix/cleanup":          false,
		"smtpd":                    false,
		"postfix":                  false,
		"":                         false,
	} {
		if got := IsPostfixSMTPD(prog); got != want {
			t.Errorf("IsPostfixSMTPD(%q) = %v, want %v", prog, got, want)
		}
	}
}

func TestNetwork(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"192.0.2.77", "192.0.2.0/24"},
		{"10.255.255.255", "10.255.255.0/24"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"::ffff:10.1.2.3", "10.1.2.0/24"},
		{"fe80::1%eth0", "fe80::/64"},
	} {
		if got := Network(netip.MustParseAddr(tc.ip)); got.String() != tc.want {
			t.Errorf("Network(%s) = %s, want %s", tc.ip, got, tc.want)
		}
	}
	if got := Network(netip.Addr{}); got.IsValid() {
		t.Errorf("Network(zero) = %s, want the zero Prefix", got)
	}
}

func TestParsePostfixSASLAllocs(t *testing.T) {
	msg := postfixSASLTests[0].msg
	if n := testing.AllocsPerRun(100, func() { ParsePostfixSASL(msg) }); n != 0 {
		t.Fatalf("ParsePostfixSASL allocates %v times per call", n)
	}
}

func FuzzParsePostfixSASL(f *testing.F) {
	for _, tc := range postfixSASLTests {
		f.Add(tc.msg)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		r, ok := ParsePostfixSASL(msg)
		if !ok {
			if r != (SASLLogin{}) {
				t.Fatalf("not ok but got %+v", r)
			}
			return
		}
		for field, v := range map[string]string{"QueueID": r.QueueID, "ClientName": r.ClientName, "Method": r.Method, "User": r.User} {
			requireSubstringOf(t, msg, v, field)
		}
		if !r.ClientIP.IsValid() || r.ClientIP.Is4In6() || r.User == "" || !strings.HasPrefix(msg, r.QueueID+": client=") {
			t.Fatalf("ParsePostfixSASL(%q) = %+v", msg, r)
		}
		if n := Network(r.ClientIP); !n.IsValid() || !n.Contains(r.ClientIP.WithZone("")) {
			t.Fatalf("Network(%s) = %s", r.ClientIP, n)
		}
	})
}

// postfixBenchLines is what a busy submission server's smtpd logs: mostly
// connection chatter, some SASL client records.
var postfixBenchLines = []string{
	"connect from unknown[203.0.113.45]",
	"Anonymous TLS connection established from unknown[203.0.113.45]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
	"3F2A81C0A2B: client=unknown[203.0.113.45], sasl_method=PLAIN, sasl_username=alice@example.com",
	"disconnect from unknown[203.0.113.45] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
	"warning: unknown[198.51.100.23]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
	"NOQUEUE: reject: RCPT from unknown[198.51.100.23]: 554 5.7.1 <x@example.net>: Relay access denied; from=<a@example.org> to=<x@example.net> proto=ESMTP helo=<WIN-ABC>",
	"4Kq2mX0fVSz9sRm: client=mail.example.org[2001:db8:1::25]:41234, sasl_method=LOGIN, sasl_username=newsletter@example.org, sasl_sender=news@example.org",
	"lost connection after AUTH from unknown[198.51.100.23]",
}

func benchLines(b *testing.B, lines []string, parse func(string) bool) {
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1
	}
	b.SetBytes(n)
	b.ReportAllocs()
	hits := 0
	for b.Loop() {
		for _, l := range lines {
			if parse(l) {
				hits++
			}
		}
	}
	if hits == 0 {
		b.Fatal("no line parsed")
	}
}

func BenchmarkParsePostfixSASL(b *testing.B) {
	b.Run("match", func(b *testing.B) {
		benchLines(b, postfixBenchLines[2:3], func(s string) bool { _, ok := ParsePostfixSASL(s); return ok })
	})
	b.Run("mixed", func(b *testing.B) {
		benchLines(b, postfixBenchLines, func(s string) bool { _, ok := ParsePostfixSASL(s); return ok })
	})
}

// TestParseDottedQuad wants the fast path to agree with netip.ParseAddr on
// every string it accepts, and to accept the usual ones.
func TestParseDottedQuad(t *testing.T) {
	cases := []string{"192.0.2.1", "0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.10", "256.1.1.1", "1.2.3",
		"1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.0", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", "1.2.3.-4", "1000.1.1.1",
		"::ffff:1.2.3.4", "2001:db8::1", "", "a.b.c.d", "1.2.3.4%eth0", "99.99.99.99", "100.200.255.0", "255.255.255.256"}
	chars := []byte("0123456789..1")
	for i := 0; i < 20000; i++ { // short strings of digits and dots
		b := make([]byte, 1+i%12)
		for j := range b {
			b[j] = chars[(i*7+j*j*3+i/13*j)%len(chars)]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got, ok := parseDottedQuad(s)
		want, err := netip.ParseAddr(s)
		if ok && (err != nil || got != want) {
			t.Errorf("parseDottedQuad(%q) = %v, netip.ParseAddr: %v, %v", s, got, want, err)
		}
		if !ok && err == nil && want.Is4() {
			t.Errorf("parseDottedQuad(%q) refused an IPv4 address", s)
		}
	}
}
