package maillog

import (
	"net/netip"
	"strings"
	"testing"
)

var eximArrivalTests = []struct {
	name string
	line string
	ok   bool
	want EximArrival
	ip   string // HostIP; "" for none
}{
	{
		name: "local submission", ok: true,
		line: `1XwBXa-0001Hc-Ik <= user@example.com U=bob P=local S=567 T="Subject here" for a@b.c`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "user@example.com", LocalUser: "bob", Protocol: "local", Size: 567},
	},
	{
		name: "authenticated esmtpsa with everything", ok: true,
		line: `1XwBXa-0001Hc-Ik <= sender@example.org H=mail.example.org (helo.name) [192.0.2.1]:54321 I=[198.51.100.2]:25 P=esmtpsa X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:alice@example.org S=1234 id=20141204.abc@example.org T="Hello there" for x@y.example`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "sender@example.org", Protocol: "esmtpsa", HostName: "mail.example.org", Helo: "helo.name",
			Authenticator: "dovecot_plain", AuthID: "alice@example.org", Size: 1234},
		ip: "192.0.2.1",
	},
	{
		name: "cPanel webmail-style PC helo", ok: true,
		line: `1Y0abc-0004Xy-Qz <= user@dom.example H=(PC) [192.0.2.8]:60123 P=esmtpsa X=TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no A=dovecot_login:user@dom.example S=2810 id=0a1b2c@dom.example T="Invoice" for a@b.example`,
		want: EximArrival{ID: "1Y0abc-0004Xy-Qz", Sender: "user@dom.example", Protocol: "esmtpsa", Helo: "PC",
			Authenticator: "dovecot_login", AuthID: "user@dom.example", Size: 2810},
		ip: "192.0.2.8",
	},
	{
		name: "bounce with helo only", ok: true,
		line: `1XwBXb-0001Hd-Jk <= <> H=(mx.example.net) [203.0.113.9] P=esmtp S=2345 id=E1XwBXb@mx.example.net`,
		want: EximArrival{ID: "1XwBXb-0001Hd-Jk", Sender: "<>", Protocol: "esmtp", Helo: "mx.example.net", Size: 2345},
		ip:   "203.0.113.9",
	},
	{
		name: "name without helo", ok: true,
		line: `1XwBXb-0001Hd-Jk <= a@example.com H=mail.example.com [192.0.2.2] P=esmtp S=100`,
		want: EximArrival{ID: "1XwBXb-0001Hd-Jk", Sender: "a@example.com", Protocol: "esmtp", HostName: "mail.example.com", Size: 100},
		ip:   "192.0.2.2",
	},
	{
		name: "address only, dnssec flag", ok: true,
		line: `1XwBXb-0001Hd-Jk <= a@example.com DS H=[192.0.2.12] P=smtp S=1`,
		want: EximArrival{ID: "1XwBXb-0001Hd-Jk", Sender: "a@example.com", Protocol: "smtp", Size: 1},
		ip:   "192.0.2.12",
	},
	{
		name: "ipv6 with port", ok: true,
		line: `1XwBXb-0001Hd-Jk <= c@example.com H=(client.example) [2001:db8::25]:40000 P=esmtpa A=login:carol S=10`,
		want: EximArrival{ID: "1XwBXb-0001Hd-Jk", Sender: "c@example.com", Protocol: "esmtpa", Helo: "client.example", Authenticator: "login", AuthID: "carol", Size: 10},
		ip:   "2001:db8::25",
	},
	{
		name: "pid prefix", ok: true,
		line: `[12345] 1XwBXa-0001Hc-Ik <= www@host.example U=www-data P=local S=3000`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "www@host.example", LocalUser: "www-data", Protocol: "local", Size: 3000},
	},
	{
		name: "exim 4.97 message id", ok: true,
		line: `1rFzhE-00000000Ab5-0aMK <= a@b.example U=www-data P=local S=9`,
		want: EximArrival{ID: "1rFzhE-00000000Ab5-0aMK", Sender: "a@b.example", LocalUser: "www-data", Protocol: "local", Size: 9},
	},
	{
		name: "helo is an address literal", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=([10.0.0.1]) [192.0.2.3]:1234 P=esmtp S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtp", Helo: "[10.0.0.1]", Size: 1},
		ip:   "192.0.2.3",
	},
	{
		name: "hostile junk helo with a bracket", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=(evil) [not-an-ip] x) [192.0.2.4] P=esmtp S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtp", Helo: "evil) [not-an-ip] x", Size: 1},
		ip:   "192.0.2.4",
	},
	{
		name: "exim 4.4x dot port", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=mail.example.com [192.0.2.5.34567] P=smtp S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "smtp", HostName: "mail.example.com", Size: 1},
		ip:   "192.0.2.5",
	},
	{
		name: "subject imitating fields", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob P=local S=567 T="Re: \"U=root P=evil\" A=x:admin S=9 H=[6.6.6.6]" for a@b.c`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local", Size: 567},
	},
	{
		name: "quoted sender imitating fields", ok: true,
		line: `1XwBXa-0001Hc-Ik <= "john U=root A=x:y H=[6.6.6.6]"@example.com U=bob P=local S=5`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: `"john U=root A=x:y H=[6.6.6.6]"@example.com`, LocalUser: "bob", Protocol: "local", Size: 5},
	},
	{
		name: "peer DN imitating A=", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=[192.0.2.6] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes DN="/CN=evil A=x:admin S=1" A=plain:real S=77`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtpsa", Authenticator: "plain", AuthID: "real", Size: 77},
		ip:   "192.0.2.6",
	},
	{
		name: "hostile: SNI forges A= for an unauthenticated client", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=[192.0.2.6] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no SNI="x" A=dovecot_plain:victim S=1 "" S=99`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtps", Size: 1},
		ip:   "192.0.2.6",
	},
	{
		name: "hostile: SNI forges U= and P=", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=[192.0.2.6] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 SNI="x" U=victim P=esmtpa A=plain:victim S=2 "" S=99`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtps", Size: 2},
		ip:   "192.0.2.6",
	},
	{
		name: "A= ignored without an authenticated protocol", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob P=local A=x:y S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local", Size: 1},
	},
	{
		name: "local authenticated smtp", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob P=local-esmtpa A=plain:bob S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local-esmtpa", Authenticator: "plain", AuthID: "bob", Size: 1},
	},
	{
		name: "peer DN ending in a backslash", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=[192.0.2.6] P=esmtpsa X=TLS1.2:x:256 CV=yes DN="/CN=foo\" A=plain:real S=5 T="subj" for x@y`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtpsa", Authenticator: "plain", AuthID: "real", Size: 5},
		ip:   "192.0.2.6",
	},
	{
		name: "quoted sender with an escaped quote", ok: true,
		line: `1XwBXa-0001Hc-Ik <= "a\" U=root b"@x.example U=bob P=local S=5`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: `"a\" U=root b"@x.example`, LocalUser: "bob", Protocol: "local", Size: 5},
	},
	{
		name: "fields out of order are ignored", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob H=[192.0.2.1] P=local S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local", Size: 1},
	},
	{
		name: "auth id with colons (smtp_mailauth)", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=[192.0.2.7] P=esmtpa A=dovecot_plain:user:with:colons S=5`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtpa", Authenticator: "dovecot_plain", AuthID: "user:with:colons", Size: 5},
		ip:   "192.0.2.7",
	},
	{
		name: "auth id with a space, then chunking", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=[192.0.2.7] P=esmtpa A=plain:john smith K S=5`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtpa", Authenticator: "plain", AuthID: "john smith", Size: 5},
		ip:   "192.0.2.7",
	},
	{
		name: "authenticator without id", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=[192.0.2.7] P=esmtpa A=tls PRDR S=5`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtpa", Authenticator: "tls", Size: 5},
		ip:   "192.0.2.7",
	},
	{
		name: "bounce with reference", ok: true,
		line: `1XwBXc-0001He-Kl <= <> R=1XwBXa-0001Hc-Ik U=Debian-exim P=local S=1234`,
		want: EximArrival{ID: "1XwBXc-0001He-Kl", Sender: "<>", LocalUser: "Debian-exim", Protocol: "local", Size: 1234},
	},
	{
		name: "first of repeated fields wins", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob U=root P=local P=x S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local", Size: 1},
	},
	{
		name: "no size", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob P=local`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local", Size: -1},
	},
	{
		name: "malformed size", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob P=local S=12x`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local", Size: -1},
	},
	{
		name: "size too large", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U=bob P=local S=99999999999999999999999`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", LocalUser: "bob", Protocol: "local", Size: -1},
	},
	{
		name: "malformed host", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=evil(x)[192.0.2.9] P=esmtp S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtp", Size: 1},
	},
	{
		name: "unterminated bracket", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example H=(x) [192.0.2.9 P=esmtp S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "esmtp", Size: 1},
	},
	{
		name: "empty U=", ok: true,
		line: `1XwBXa-0001Hc-Ik <= a@b.example U= P=local S=1`,
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a@b.example", Protocol: "local", Size: 1},
	},
	{
		name: "NUL and CR kept raw", ok: true,
		line: "1XwBXa-0001Hc-Ik <= a\x00b@example.com U=b\rob P=local S=1",
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: "a\x00b@example.com", LocalUser: "b\rob", Protocol: "local", Size: 1},
	},
	{
		name: "very long sender", ok: true,
		line: "1XwBXa-0001Hc-Ik <= " + strings.Repeat("x", 70000) + "@example.com P=local S=1",
		want: EximArrival{ID: "1XwBXa-0001Hc-Ik", Sender: strings.Repeat("x", 70000) + "@example.com", Protocol: "local", Size: 1},
	},
	{name: "fake reject", line: `1XwBXa-0001Hc-Ik (= a@b.example H=[192.0.2.1] P=esmtp S=1`},
	{name: "delivery", line: `1XwBXa-0001Hc-Ik => a@b.c R=dnslookup T=remote_smtp H=mx.b.c [192.0.2.1] X=TLS1.2 C="250 OK"`},
	{name: "completed", line: `1XwBXa-0001Hc-Ik Completed`},
	{name: "rejection without id", line: `H=(x) [192.0.2.1] F=<a@b> rejected RCPT <c@d>: relay not permitted`},
	{name: "short id", line: `1XwBXa-0001Hc-I <= a@b.example P=local S=1`},
	{name: "id with bad character", line: `1XwBXa-0001H_-Ik <= a@b.example P=local S=1`},
	{name: "malformed pid", line: `[12a] 1XwBXa-0001Hc-Ik <= a@b.example P=local S=1`},
	{name: "pid without space", line: `[123]1XwBXa-0001Hc-Ik <= a@b.example P=local S=1`},
	{name: "empty sender", line: `1XwBXa-0001Hc-Ik <=  P=local S=1`},
	{name: "empty", line: ``},
	{name: "bracket only", line: `[`},
}

func TestParseEximArrival(t *testing.T) {
	for _, tc := range eximArrivalTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseEximArrival(tc.line)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				if got != (EximArrival{}) {
					t.Fatalf("not ok but got %+v", got)
				}
				return
			}
			want := tc.want
			if tc.ip != "" {
				want.HostIP = netip.MustParseAddr(tc.ip)
			}
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseEximArrivalAllocs(t *testing.T) {
	line := eximArrivalTests[1].line
	if n := testing.AllocsPerRun(100, func() { ParseEximArrival(line) }); n != 0 {
		t.Fatalf("ParseEximArrival allocates %v times per call", n)
	}
}

func FuzzParseEximArrival(f *testing.F) {
	for _, tc := range eximArrivalTests {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := ParseEximArrival(line)
		if !ok {
			if r != (EximArrival{}) {
				t.Fatalf("not ok but got %+v", r)
			}
			return
		}
		for field, v := range map[string]string{
			"ID": r.ID, "Sender": r.Sender, "LocalUser": r.LocalUser, "Protocol": r.Protocol,
			"HostName": r.HostName, "Helo": r.Helo, "Authenticator": r.Authenticator, "AuthID": r.AuthID,
		} {
			requireSubstringOf(t, line, v, field)
		}
		if !isEximID(r.ID) || r.Sender == "" || r.Size < -1 || r.HostIP != (netip.Addr{}) && (!r.HostIP.IsValid() || r.HostIP.Is4In6()) ||
			r.Authenticator != "" && !eximAuthenticatedProtocol(r.Protocol) || r.AuthID != "" && r.Authenticator == "" && !strings.Contains(line, "A=:") {
			t.Fatalf("ParseEximArrival(%q) = %+v", line, r)
		}
		if !strings.Contains(line, r.ID+" <= ") {
			t.Fatalf("ParseEximArrival(%q): no %q", line, r.ID+" <= ")
		}
	})
}

// eximBenchLines is a slice of a shared-hosting mainlog (timestamps
// stripped): arrivals, deliveries and completions.
var eximBenchLines = []string{
	`1XwBXa-0001Hc-Ik <= sender@example.org H=mail.example.org (helo.name) [192.0.2.1]:54321 I=[198.51.100.2]:587 P=esmtpsa X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:alice@example.org S=12345 id=20141204225650.GA1234@example.org T="Re: Meeting tomorrow at 10" for bob@example.net`,
	`1XwBXa-0001Hc-Ik => bob@example.net R=dkim_lookuphost T=dkim_remote_smtp H=mx.example.net [203.0.113.25] X=TLS1.2:ECDHE_RSA_AES_128_GCM_SHA256:128 CV=yes C="250 2.0.0 OK 1417730210 a1si123456wjz.12 - gsmtp"`,
	`1XwBXa-0001Hc-Ik Completed`,
	`1XwBXb-0001Hd-Jk <= wpuser@shop.example U=shopuser P=local S=4321 id=5a1b2c3d4e5f@shop.example T="Your order #1234 has shipped" for customer@example.com`,
	`1XwBXb-0001Hd-Jk => customer@example.com R=dkim_lookuphost T=dkim_remote_smtp H=mx.example.com [198.51.100.9] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes K C="250 OK id=1XwBXc-0004Xy-Qz"`,
	`1XwBXb-0001Hd-Jk Completed`,
	`H=(WIN-ABC123) [198.51.100.77]:61000 I=[198.51.100.2]:25 F=<spam@example.biz> rejected RCPT <x@example.org>: Sender verify failed`,
	`SMTP connection from (WIN-ABC123) [198.51.100.77]:61000 I=[198.51.100.2]:25 closed by QUIT`,
}

func BenchmarkParseEximArrival(b *testing.B) {
	b.Run("match", func(b *testing.B) {
		benchLines(b, eximBenchLines[:1], func(s string) bool { _, ok := ParseEximArrival(s); return ok })
	})
	b.Run("mixed", func(b *testing.B) {
		benchLines(b, eximBenchLines, func(s string) bool { _, ok := ParseEximArrival(s); return ok })
	})
}
