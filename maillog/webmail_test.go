package maillog

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

var roundcubeSendTests = []struct {
	name  string
	msg   string
	ok    bool
	want  RoundcubeSend
	rcpts []string
}{
	{
		name: "before 1.4", ok: true,
		msg:   "User alice [192.0.2.1]; Message for a@b.c, c@d.e; 250: 2.0.0 Ok: queued as ABC",
		want:  RoundcubeSend{User: "alice", RawIP: "192.0.2.1", To: "a@b.c, c@d.e", Response: "250: 2.0.0 Ok: queued as ABC"},
		rcpts: []string{"a@b.c", "c@d.e"},
	},
	{
		name: "1.4 with session and message id", ok: true,
		msg:   "<6j1f3kq2> User alice@example.com [192.0.2.1]; Message <5a1b2c3d4e5f6a7b8c9d@example.com> for a@b.c, c@d.e; 250: 2.0.0 Ok: queued as 4Kq2mX0fVSz9sRm",
		want:  RoundcubeSend{SessionID: "6j1f3kq2", User: "alice@example.com", RawIP: "192.0.2.1", MessageID: "<5a1b2c3d4e5f6a7b8c9d@example.com>", To: "a@b.c, c@d.e", Response: "250: 2.0.0 Ok: queued as 4Kq2mX0fVSz9sRm"},
		rcpts: []string{"a@b.c", "c@d.e"},
	},
	{
		name: "1.3 with session, no message id", ok: true,
		msg:   "<abcd1234> User alice [192.0.2.1]; Message for x@y.z; 250: 2.0.0 Ok: queued as 3F2A",
		want:  RoundcubeSend{SessionID: "abcd1234", User: "alice", RawIP: "192.0.2.1", To: "x@y.z", Response: "250: 2.0.0 Ok: queued as 3F2A"},
		rcpts: []string{"x@y.z"},
	},
	{
		name: "no SMTP response", ok: true,
		msg:   "User alice [192.0.2.1]; Message for x@y.z; ",
		want:  RoundcubeSend{User: "alice", RawIP: "192.0.2.1", To: "x@y.z"},
		rcpts: []string{"x@y.z"},
	},
	{
		name: "no SMTP response, trailing space trimmed", ok: true,
		msg:   "User alice [192.0.2.1]; Message for x@y.z;",
		want:  RoundcubeSend{User: "alice", RawIP: "192.0.2.1", To: "x@y.z"},
		rcpts: []string{"x@y.z"},
	},
	{
		name: "ipv6", ok: true,
		msg:   "User bob [2001:db8::5]; Message <id@h.example> for a@b.example; 250 OK",
		want:  RoundcubeSend{User: "bob", RawIP: "2001:db8::5", MessageID: "<id@h.example>", To: "a@b.example", Response: "250 OK"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "empty message id", ok: true,
		msg:   "User bob [192.0.2.1]; Message  for a@b.example; 250: ok",
		want:  RoundcubeSend{User: "bob", RawIP: "192.0.2.1", To: "a@b.example", Response: "250: ok"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "several replies", ok: true,
		msg:   "User bob [192.0.2.1]; Message for a@b.example; 250: 2.1.0 Ok; 250: 2.1.5 Ok; 250: 2.0.0 Ok: queued as X",
		want:  RoundcubeSend{User: "bob", RawIP: "192.0.2.1", To: "a@b.example", Response: "250: 2.1.0 Ok; 250: 2.1.5 Ok; 250: 2.0.0 Ok: queued as X"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "hostile: quoted local part with ; and ,", ok: true,
		msg:   `User bob [192.0.2.1]; Message for "x; y, z"@evil.example, b@c.example; 250: ok`,
		want:  RoundcubeSend{User: "bob", RawIP: "192.0.2.1", To: `"x; y, z"@evil.example, b@c.example`, Response: "250: ok"},
		rcpts: []string{`"x; y, z"@evil.example`, "b@c.example"},
	},
	{
		name: "hostile: user with a bracket", ok: true,
		msg:   "User weird [user [192.0.2.1]; Message for a@b.example; 250: ok",
		want:  RoundcubeSend{User: "weird [user", RawIP: "192.0.2.1", To: "a@b.example", Response: "250: ok"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "not an address between the brackets", ok: true,
		msg:   "User alice [unknown]; Message for a@b.example; ",
		want:  RoundcubeSend{User: "alice", RawIP: "unknown", To: "a@b.example"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "NUL and CR", ok: true,
		msg:   "User a\x00b [192.0.2.1]; Message for a\r@b.example; ",
		want:  RoundcubeSend{User: "a\x00b", RawIP: "192.0.2.1", To: "a\r@b.example"},
		rcpts: []string{"a\r@b.example"},
	},
	{name: "login log", msg: "Successful login for alice (ID: 1) from 192.0.2.1 in session 6j1f3kq2"},
	{name: "no message marker", msg: "User alice [192.0.2.1]; Mail for a@b.example; 250: ok"},
	{name: "no for", msg: "User alice [192.0.2.1]; Message <x@y> to a@b.example; 250: ok"},
	{name: "empty user", msg: "User  [192.0.2.1]; Message for a@b.example; 250: ok"},
	{name: "no bracket", msg: "User alice 192.0.2.1]; Message for a@b.example; 250: ok"},
	{name: "unterminated session", msg: "<abcd User alice [192.0.2.1]; Message for a@b; "},
	{name: "empty", msg: ""},
}

func TestParseRoundcubeSend(t *testing.T) {
	for _, tc := range roundcubeSendTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseRoundcubeSend(tc.msg)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				if got != (RoundcubeSend{}) {
					t.Fatalf("not ok but got %+v", got)
				}
				return
			}
			want := tc.want
			want.IP, _ = netip.ParseAddr(want.RawIP)
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if r := got.Recipients(); !reflect.DeepEqual(r, tc.rcpts) || got.RecipientCount() != len(tc.rcpts) {
				t.Fatalf("Recipients() = %q, RecipientCount() = %d, want %q", r, got.RecipientCount(), tc.rcpts)
			}
		})
	}
}

func TestRoundcubeManyRecipients(t *testing.T) {
	to := strings.TrimSuffix(strings.Repeat("victim@example.com, ", 500), ", ")
	r, ok := ParseRoundcubeSend("User spammer [192.0.2.66]; Message <x@y> for " + to + "; 250: ok")
	if !ok || r.RecipientCount() != 500 || len(r.Recipients()) != 500 {
		t.Fatalf("ok=%v count=%d", ok, r.RecipientCount())
	}
	if n := testing.AllocsPerRun(100, func() { r.RecipientCount() }); n != 0 {
		t.Fatalf("RecipientCount allocates %v times per call", n)
	}
}

func TestParseRoundcubeTime(t *testing.T) {
	for _, tc := range []struct {
		line, want, rest string
		ok               bool
	}{
		{"[04-Dec-2014 22:56:50 +0100]: User alice", "2014-12-04T21:56:50Z", "User alice", true},
		{"[04-Dec-2014 22:56:50 -0530]: x", "2014-12-05T04:26:50Z", "x", true},
		{"[29-Feb-2016 00:00:00 +0000]: ", "2016-02-29T00:00:00Z", "", true},
		{"[04-Dec-2014 22:56:50 +0100]:", "2014-12-04T21:56:50Z", "", true},
		{"[04-Dec-2014 22:56:50.123456 +0100]: x", "2014-12-04T21:56:50.123456Z", "x", true},
		{"[04-Dec-2014 22:56:50 +0100] x", "", "", false},
		{"[04-Dec-2014 22:56:50 +0100]:x", "", "", false},
		{"[31-Feb-2015 22:56:50 +0100]: x", "", "", false},
		{"[04-Foo-2014 22:56:50 +0100]: x", "", "", false},
		{"[04-Dec-2014 24:00:00 +0100]: x", "", "", false},
		{"[4-Dec-2014 22:56:50 +0100]: x", "", "", false},
		{"[04-Dec-14 22:56:50 +0100]: x", "", "", false},
		{"[04-Dec-2014 22:56:50 +01]: x", "", "", false},
		{"[04-Dec-2014 22:56:50 +0160]: x", "", "", false},
		{"[04-Dec-2014 22:56:50. +0100]: x", "", "", false},
		{"[04-Dec-2014 22:56:50 Europe/Madrid] mail() on", "", "", false},
		{"04-Dec-2014 22:56:50 +0100: x", "", "", false},
		{"", "", "", false},
	} {
		got, rest, ok := ParseRoundcubeTime(tc.line)
		if ok != tc.ok {
			t.Errorf("ParseRoundcubeTime(%q) ok = %v, want %v", tc.line, ok, tc.ok)
			continue
		}
		if !ok {
			if !got.IsZero() || rest != "" {
				t.Errorf("ParseRoundcubeTime(%q) = %v, %q on failure", tc.line, got, rest)
			}
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tc.want || rest != tc.rest {
			t.Errorf("ParseRoundcubeTime(%q) = %s, %q; want %s, %q", tc.line, s, rest, tc.want, tc.rest)
		}
	}
}

func FuzzParseRoundcubeSend(f *testing.F) {
	for _, tc := range roundcubeSendTests {
		f.Add("[04-Dec-2014 22:56:50 +0100]: " + tc.msg)
	}
	f.Add("[04-Dec-2014 22:56:50.999999999 -2359]:")
	f.Fuzz(func(t *testing.T, line string) {
		if ts, rest, ok := ParseRoundcubeTime(line); ok {
			requireSubstringOf(t, line, rest, "rest")
			if ts.Year() < -1 || ts.Year() > 10000 || ts.Location() != time.UTC || !strings.HasSuffix(line, rest) {
				t.Fatalf("ParseRoundcubeTime(%q) = %v, %q", line, ts, rest)
			}
			line = rest
		}
		r, ok := ParseRoundcubeSend(line)
		if !ok {
			if r != (RoundcubeSend{}) {
				t.Fatalf("not ok but got %+v", r)
			}
			return
		}
		for field, v := range map[string]string{"SessionID": r.SessionID, "User": r.User, "RawIP": r.RawIP, "MessageID": r.MessageID, "To": r.To, "Response": r.Response} {
			requireSubstringOf(t, line, v, field)
		}
		if r.User == "" || r.IP.IsValid() && r.IP.Is4In6() {
			t.Fatalf("ParseRoundcubeSend(%q) = %+v", line, r)
		}
		rc := r.Recipients()
		if len(rc) != r.RecipientCount() {
			t.Fatalf("Recipients() has %d items, RecipientCount() = %d", len(rc), r.RecipientCount())
		}
		for _, a := range rc {
			requireSubstringOf(t, r.To, a, "recipient")
		}
	})
}

var impSendTests = []struct {
	name  string
	msg   string
	ok    bool
	want  IMPSend
	rcpts []string
}{
	{
		name: "imp 6", ok: true,
		msg:   `[imp] Message sent to a@b.example, d@e.example from alice (192.0.2.1) [pid 1234 on line 1101 of "/var/www/horde/imp/lib/Compose.php"]`,
		want:  IMPSend{To: "a@b.example, d@e.example", User: "alice", RawIP: "192.0.2.1"},
		rcpts: []string{"a@b.example", "d@e.example"},
	},
	{
		name: "imp 6 display names, ipv6, horde.log ident", ok: true,
		msg:   `HORDE [imp] Message sent to "Doe, John" <j@x.example>, Eve <e@y.example> from alice@example.com (2001:db8::9) [pid 77 on line 1101 of "/usr/share/horde/imp/lib/Compose.php"]`,
		want:  IMPSend{To: `"Doe, John" <j@x.example>, Eve <e@y.example>`, User: "alice@example.com", RawIP: "2001:db8::9"},
		rcpts: []string{`"Doe, John" <j@x.example>`, "Eve <e@y.example>"},
	},
	{
		name: "imp 4/5", ok: true,
		msg:   `[imp] 192.0.2.1 Message sent to a@b.example from alice [pid 99 on line 2012 of "/usr/share/horde3/imp/lib/Compose.php"]`,
		want:  IMPSend{To: "a@b.example", User: "alice", RawIP: "192.0.2.1"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "imp 4 PEAR file log", ok: true,
		msg:   `HORDE [info] [imp] 192.0.2.1 Message sent to a@b.example, c@d.example from bob@example.org [pid 1 on line 2 of "/x/compose.php"]`,
		want:  IMPSend{To: "a@b.example, c@d.example", User: "bob@example.org", RawIP: "192.0.2.1"},
		rcpts: []string{"a@b.example", "c@d.example"},
	},
	{
		name: "imp 4 redirect", ok: true,
		msg:   `[imp] 192.0.2.1 Redirected message sent to a@b.example from alice [pid 5 on line 6 of "/x/Compose.php"]`,
		want:  IMPSend{Redirect: true, To: "a@b.example", User: "alice", RawIP: "192.0.2.1"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "imp 6 without address", ok: true,
		msg:   `[imp] Message sent to a@b.example from alice () [pid 5 on line 6 of "/x/Compose.php"]`,
		want:  IMPSend{To: "a@b.example", User: "alice"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "no pid suffix", ok: true,
		msg:   `[imp] Message sent to a@b.example from alice (192.0.2.1)`,
		want:  IMPSend{To: "a@b.example", User: "alice", RawIP: "192.0.2.1"},
		rcpts: []string{"a@b.example"},
	},
	{
		name: "hostile: display name contains from", ok: true,
		msg:   `[imp] Message sent to "Mail from Bank" <a@b.example> from alice (192.0.2.1) [pid 5 on line 6 of "/x"]`,
		want:  IMPSend{To: `"Mail from Bank" <a@b.example>`, User: "alice", RawIP: "192.0.2.1"},
		rcpts: []string{`"Mail from Bank" <a@b.example>`},
	},
	{
		name: "hostile: display name imitates the pid suffix", ok: true,
		msg:   `[imp] Message sent to "x [pid 1 on line 2 of \"y\"]" <a@b.example> from alice (192.0.2.1)`,
		want:  IMPSend{To: `"x [pid 1 on line 2 of \"y\"]" <a@b.example>`, User: "alice", RawIP: "192.0.2.1"},
		rcpts: []string{`"x [pid 1 on line 2 of \"y\"]" <a@b.example>`},
	},
	{name: "horde problem report", msg: `[horde] 192.0.2.1 Message sent to admin@x.example from y@z.example [pid 1 on line 2 of "/x"]`},
	{name: "login", msg: `[imp] Login success for alice (192.0.2.1) to {imap.example.com:993/imap/ssl} [pid 1 on line 2 of "/x"]`},
	{name: "no from", msg: `[imp] Message sent to a@b.example (192.0.2.1)`},
	{name: "imp 6 without parentheses", msg: `[imp] Message sent to a@b.example from alice`},
	{name: "empty user", msg: `[imp] 192.0.2.1 Message sent to a@b.example from `},
	{name: "empty", msg: ``},
}

func TestParseIMPSend(t *testing.T) {
	for _, tc := range impSendTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseIMPSend(tc.msg)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				if got != (IMPSend{}) {
					t.Fatalf("not ok but got %+v", got)
				}
				return
			}
			want := tc.want
			want.IP, _ = netip.ParseAddr(want.RawIP)
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if r := got.Recipients(); !reflect.DeepEqual(r, tc.rcpts) || got.RecipientCount() != len(tc.rcpts) {
				t.Fatalf("Recipients() = %q, RecipientCount() = %d, want %q", r, got.RecipientCount(), tc.rcpts)
			}
		})
	}
}

func FuzzParseIMPSend(f *testing.F) {
	for _, tc := range impSendTests {
		f.Add(tc.msg)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		r, ok := ParseIMPSend(msg)
		if !ok {
			if r != (IMPSend{}) {
				t.Fatalf("not ok but got %+v", r)
			}
			return
		}
		for field, v := range map[string]string{"To": r.To, "User": r.User, "RawIP": r.RawIP} {
			requireSubstringOf(t, msg, v, field)
		}
		if r.User == "" || !strings.Contains(msg, "[imp] ") || r.IP.IsValid() && r.IP.Is4In6() {
			t.Fatalf("ParseIMPSend(%q) = %+v", msg, r)
		}
		rc := r.Recipients()
		if len(rc) != r.RecipientCount() {
			t.Fatalf("Recipients() has %d items, RecipientCount() = %d", len(rc), r.RecipientCount())
		}
		for _, a := range rc {
			requireSubstringOf(t, r.To, a, "recipient")
		}
	})
}
