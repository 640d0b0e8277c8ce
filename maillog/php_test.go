package maillog

import (
	"strings"
	"testing"
)

var phpMailTests = []struct {
	name string
	line string
	ok   bool
	want PHPMail
}{
	{
		name: "php 5.3", ok: true,
		line: "mail() on [/home/u/public_html/x.php:12]: To: a@b.c -- Headers: From: x@y.example",
		want: PHPMail{Script: "/home/u/public_html/x.php", Line: 12, To: "a@b.c"},
	},
	{
		name: "php 7 with subject", ok: true,
		line: "mail() on [/home/u/public_html/wp-includes/class-phpmailer.php:1023]: To: victim@example.com -- Headers: Date: Thu, 4 Dec 2014 22:56:50 +0100 From: WordPress <wordpress@example.com> Message-ID: <abc@example.com> -- Subject: Hello",
		want: PHPMail{Script: "/home/u/public_html/wp-includes/class-phpmailer.php", Line: 1023, To: "victim@example.com"},
	},
	{
		name: "php 8 without headers", ok: true,
		line: "mail() on [/var/www/html/contact.php:7]: To: a@b.example, c@d.example -- Headers:  -- Subject: Hi",
		want: PHPMail{Script: "/var/www/html/contact.php", Line: 7, To: "a@b.example, c@d.example"},
	},
	{
		name: "file date prefix left on", ok: true,
		line: "[04-Dec-2014 22:56:50 Europe/Madrid] mail() on [/home/u/public_html/x.php:12]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/public_html/x.php", Line: 12, To: "a@b.c"},
	},
	{
		name: "eval", ok: true,
		line: "mail() on [/home/u/public_html/x.php(12) : eval()'d code:1]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/public_html/x.php", Line: 12, Eval: true, To: "a@b.c"},
	},
	{
		name: "nested eval", ok: true,
		line: "mail() on [/home/u/a.php(7) : eval()'d code(3) : eval()'d code:2]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/a.php", Line: 7, Eval: true, To: "a@b.c"},
	},
	{
		name: "create_function", ok: true,
		line: "mail() on [/home/u/b.php(5) : runtime-created function:1]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/b.php", Line: 5, Eval: true, To: "a@b.c"},
	},
	{
		name: "preg_replace /e", ok: true,
		line: "mail() on [/home/u/c.php(9) : regexp code:1]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/c.php", Line: 9, Eval: true, To: "a@b.c"},
	},
	{
		name: "assert", ok: true,
		line: "mail() on [/home/u/d.php(4) : assert code:1]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/d.php", Line: 4, Eval: true, To: "a@b.c"},
	},
	{
		name: "path with spaces, colon and bracket", ok: true,
		line: "mail() on [/home/u/public_html/my dir:v2]/x.php:44]: To: a@b.c -- Headers: From: a@b.c",
		want: PHPMail{Script: "/home/u/public_html/my dir:v2]/x.php", Line: 44, To: "a@b.c"},
	},
	{
		name: "real parentheses in a file name", ok: true,
		line: "mail() on [/home/u/copy (1).php:3]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/copy (1).php", Line: 3, To: "a@b.c"},
	},
	{
		name: "unknown compiled-string description kept", ok: true,
		line: "mail() on [/home/u/x.php(12) : something else:1]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/x.php(12) : something else", Line: 1, To: "a@b.c"},
	},
	{
		name: "hostile: path contains ]: To: without a line", ok: true,
		line: "mail() on [/home/u/x]: To: y/z.php:5]: To: real@x.example -- Headers: ",
		want: PHPMail{Script: "/home/u/x]: To: y/z.php", Line: 5, To: "real@x.example"},
	},
	{
		name: "hostile: headers imitate another record", ok: true,
		line: "mail() on [/home/u/x.php:5]: To: a@b.c -- Headers: X: mail() on [/etc/passwd:1]: To: root",
		want: PHPMail{Script: "/home/u/x.php", Line: 5, To: "a@b.c"},
	},
	{
		name: "truncated by syslog", ok: true,
		line: "mail() on [/x.php:1]: To: a@b.c -- Head",
		want: PHPMail{Script: "/x.php", Line: 1, To: "a@b.c -- Head"},
	},
	{
		name: "no active file", ok: true,
		line: "mail() on [[no active file]:0]: To: a@b.c -- Headers: ",
		want: PHPMail{Script: "[no active file]", Line: 0, To: "a@b.c"},
	},
	{
		name: "windows path", ok: true,
		line: `mail() on [C:\inetpub\wwwroot\x.php:3]: To: a@b.c -- Headers: `,
		want: PHPMail{Script: `C:\inetpub\wwwroot\x.php`, Line: 3, To: "a@b.c"},
	},
	{
		name: "NUL and CR", ok: true,
		line: "mail() on [/home/u/\x00.php:3]: To: a\r@b.c -- Headers: ",
		want: PHPMail{Script: "/home/u/\x00.php", Line: 3, To: "a\r@b.c"},
	},
	{
		name: "long To", ok: true,
		line: "mail() on [/x.php:1]: To: " + strings.Repeat("a@b.c, ", 10000) + " -- Headers: ",
		want: PHPMail{Script: "/x.php", Line: 1, To: strings.Repeat("a@b.c, ", 10000)},
	},
	{name: "no line", line: "mail() on [/x.php]: To: a@b.c -- Headers: "},
	{name: "line not a number", line: "mail() on [/x.php:abc]: To: a@b.c -- Headers: "},
	{name: "line too long", line: "mail() on [/x.php:12345678901]: To: a@b.c -- Headers: "},
	{name: "no script", line: "mail() on [:1]: To: a@b.c -- Headers: "},
	{name: "no To", line: "mail() on [/x.php:1]: Cc: a@b.c"},
	{name: "php warning", line: "PHP Warning:  mail(): Could not execute mail delivery program '/usr/sbin/sendmail -t -i' in /x.php on line 3"},
	{name: "text before", line: "foo mail() on [/x.php:1]: To: a@b.c -- Headers: "},
	{name: "empty", line: ""},
	{name: "prefix only", line: "[x] mail() on ["},
}

func TestParsePHPMail(t *testing.T) {
	for _, tc := range phpMailTests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParsePHPMail(tc.line)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				if got != (PHPMail{}) {
					t.Fatalf("not ok but got %+v", got)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func FuzzParsePHPMail(f *testing.F) {
	for _, tc := range phpMailTests {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := ParsePHPMail(line)
		if !ok {
			if r != (PHPMail{}) {
				t.Fatalf("not ok but got %+v", r)
			}
			return
		}
		requireSubstringOf(t, line, r.Script, "Script")
		requireSubstringOf(t, line, r.To, "To")
		if r.Script == "" || r.Line < 0 || !strings.Contains(line, "mail() on ["+r.Script) {
			t.Fatalf("ParsePHPMail(%q) = %+v", line, r)
		}
	})
}
