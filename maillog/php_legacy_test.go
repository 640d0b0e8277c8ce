package maillog

import (
	"strings"
	"testing"
)

var wrapperMailTests = []struct {
	name string
	msg  string
	ok   bool
	want WrapperMail
}{
	{
		name: "typical", ok: true,
		msg:  "sendmail-php url=example.com/contact.php, client=192.0.2.1, filename=/home/u/public_html/contact.php, uid=1001, user=u, args=-fwebmaster@example.com",
		want: WrapperMail{URL: "example.com/contact.php", Client: "192.0.2.1", Filename: "/home/u/public_html/contact.php", UID: "1001", User: "u", Args: "-fwebmaster@example.com"},
	},
	{
		name: "the brief's form", ok: true,
		msg:  "sendmail-php url=http://example.com/x.php, client=192.0.2.1, filename=/home/u/public_html/x.php, uid=1001, user=u, args=-t -i",
		want: WrapperMail{URL: "http://example.com/x.php", Client: "192.0.2.1", Filename: "/home/u/public_html/x.php", UID: "1001", User: "u", Args: "-t -i"},
	},
	{
		name: "all empty (CLI run)", ok: true,
		msg:  "sendmail-php url=, client=, filename=, uid=, user=, args=",
		want: WrapperMail{},
	},
	{
		name: "query string with commas", ok: true,
		msg:  "sendmail-php url=example.com/x.php?a=1,b=2&c=3, client=2001:db8::7, filename=/home/u/x.php, uid=33, user=www-data, args=",
		want: WrapperMail{URL: "example.com/x.php?a=1,b=2&c=3", Client: "2001:db8::7", Filename: "/home/u/x.php", UID: "33", User: "www-data"},
	},
	{
		name: "hostile: file name contains , uid=", ok: true,
		msg:  "sendmail-php url=e.example/a, client=192.0.2.1, filename=/home/u/a, uid=x.php, uid=1001, user=u, args=",
		want: WrapperMail{URL: "e.example/a", Client: "192.0.2.1", Filename: "/home/u/a, uid=x.php", UID: "1001", User: "u"},
	},
	{
		name: "hostile: args imitate fields", ok: true,
		msg:  "sendmail-php url=e.example/a, client=192.0.2.1, filename=/home/u/a.php, uid=1001, user=u, args=-f x, user=root, args=y\r",
		want: WrapperMail{URL: "e.example/a", Client: "192.0.2.1", Filename: "/home/u/a.php", UID: "1001", User: "u", Args: "-f x, user=root, args=y\r"},
	},
	{
		name: "NUL bytes", ok: true,
		msg:  "sendmail-php url=\x00, client=\x00, filename=\x00, uid=1, user=\x00, args=\x00",
		want: WrapperMail{URL: "\x00", Client: "\x00", Filename: "\x00", UID: "1", User: "\x00", Args: "\x00"},
	},
	{
		name: "long file name", ok: true,
		msg:  "sendmail-php url=a, client=b, filename=" + strings.Repeat("/d", 30000) + ", uid=1, user=u, args=",
		want: WrapperMail{URL: "a", Client: "b", Filename: strings.Repeat("/d", 30000), UID: "1", User: "u"},
	},
	{name: "other message", msg: "postfix/sendmail: fatal: usage"},
	{name: "no client", msg: "sendmail-php url=a, filename=/x, uid=1, user=u, args="},
	{name: "no uid", msg: "sendmail-php url=a, client=b, filename=/x, user=u, args="},
	{name: "uid not followed by user", msg: "sendmail-php url=a, client=b, filename=/x, uid=1, args="},
	{name: "no args", msg: "sendmail-php url=a, client=b, filename=/x, uid=1, user=u"},
	{name: "empty", msg: ""},
}

func TestParseWrapperMail(t *testing.T) {
	for _, tc := range wrapperMailTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseWrapperMail(tc.msg)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok && got != (WrapperMail{}) {
				t.Fatalf("not ok but got %+v", got)
			}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func FuzzParseWrapperMail(f *testing.F) {
	for _, tc := range wrapperMailTests {
		f.Add(tc.msg)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		r, ok := ParseWrapperMail(msg)
		if !ok {
			if r != (WrapperMail{}) {
				t.Fatalf("not ok but got %+v", r)
			}
			return
		}
		for field, v := range map[string]string{"URL": r.URL, "Client": r.Client, "Filename": r.Filename, "UID": r.UID, "User": r.User, "Args": r.Args} {
			requireSubstringOf(t, msg, v, field)
		}
		if countLeadingDigits(r.UID) != len(r.UID) || !strings.HasSuffix(msg, ", args="+r.Args) {
			t.Fatalf("ParseWrapperMail(%q) = %+v", msg, r)
		}
	})
}
