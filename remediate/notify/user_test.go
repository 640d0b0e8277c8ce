package notify

import (
	"os"
	"strings"
	"testing"
)

func TestParseUserPattern(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		goSrc   string            // expected compiled source; "" to skip
		paths   map[string]string // path → user ("" = no valid user)
		wantErr string
	}{
		{
			name: "default", pattern: DefaultUserPattern, goSrc: DefaultUserPattern,
			paths: map[string]string{
				"/home/bob/public_html/x.php": "bob",
				"/home/bob":                   "",
				"/home/.hidden/x.php":         "",
				"/var/www/bob/x.php":          "",
				"/home//x.php":                "",
			},
		},
		{
			name: "spam-gear default", pattern: `^/home/\([^/.]*\)/.*`, goSrc: `^/home/([^/.]*)/.*`,
			paths: map[string]string{"/home/alice/wp/x.php": "alice", "/srv/alice/x": ""},
		},
		{
			name: "spam-gear var www", pattern: `^/var/www/\([^/]*\)/.*`, goSrc: `^/var/www/([^/]*)/.*`,
			paths: map[string]string{"/var/www/site_1/index.php": "site_1", "/var/www/x": ""},
		},
		{
			name: "spam-gear crontab", pattern: `^/home/pangea/\([^/.]*\)/.*`, goSrc: `^/home/pangea/([^/.]*)/.*`,
			paths: map[string]string{"/home/pangea/maria/web/x.php": "maria"},
		},
		{
			name: "BRE literals and GNU escapes", pattern: `^/srv/(x)+{1}?|/\([a-z]\+\)/`, goSrc: `^/srv/\(x\)\+\{1\}\?\|/([a-z]+)/`,
			paths: map[string]string{"/srv/(x)+{1}?|/bob/f": "bob", "/srv/xx/bob/f": ""},
		},
		{
			name: "BRE interval and alternation", pattern: `^/\(home\|srv\)/u\{2\}\([^/]*\)/`, goSrc: `^/(home|srv)/u{2}([^/]*)/`,
			paths: map[string]string{"/srv/uubob/x": "srv"},
		},
		{
			name: "BRE backslash in bracket", pattern: `^/h/\([^\/]*\)/`, goSrc: `^/h/([^\\/]*)/`,
			paths: map[string]string{"/h/bob/x": "bob"},
		},
		{
			name: "BRE bracket specials", pattern: `^/h/\([]a-z[:digit:]]*\)/`, goSrc: `^/h/([\]a-z[:digit:]]*)/`,
			paths: map[string]string{"/h/bob2/x": "bob2"},
		},
		{
			name: "BRE literal star, caret, dollar", pattern: `^/h\(*\)/a^b$c/\([^/]*\)$`, goSrc: `^/h(\*)/a\^b\$c/([^/]*)$`,
			paths: map[string]string{"/h*/a^b$c/bob": ""}, // group 1 is "*"
		},
		{
			name: "BRE escaped dot kept", pattern: `^/home/\([^/]*\)\.d/`, goSrc: `^/home/([^/]*)\.d/`,
			paths: map[string]string{"/home/bob.d/x": "bob", "/home/bobxd/x": ""},
		},
		{name: "no group", pattern: `^/home/[^/]*/`, wantErr: "no capture group"},
		{name: "non-capturing only", pattern: `^/home/(?:[^/]*)/`, wantErr: "no capture group"},
		{name: "BRE no group after conversion", pattern: `^/home/\(`, wantErr: "user pattern"},
		{name: "invalid", pattern: `^/home/([`, wantErr: "user pattern"},
		{name: "backreference", pattern: `^/home/\([^/]*\)/\1`, wantErr: "user pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := ParseUserPattern(tt.pattern)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.goSrc != "" && re.String() != tt.goSrc {
				t.Errorf("compiled %q, want %q", re.String(), tt.goSrc)
			}
			for path, want := range tt.paths {
				user, ok := UserOf(re, path)
				if user != want || ok != (want != "") {
					t.Errorf("UserOf(%q) = %q, %v; want %q", path, user, ok, want)
				}
			}
		})
	}
}

func TestUserOfRefusesHostileUsers(t *testing.T) {
	re, err := ParseUserPattern(`^/home/([^/]*)/`)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/home/bob\r\nBcc: x@evil.example/x.php",
		"/home/bob@evil.example/x.php",
		"/home/-rf/x.php",
		"/home/../x.php",
		"/home/bob smith/x.php",
		"/home/<bob>/x.php",
		"/home/bób/x.php",
		"/home/" + strings.Repeat("a", 65) + "/x.php",
		"/home//x.php",
	} {
		if user, ok := UserOf(re, p); ok || user != "" {
			t.Errorf("UserOf(%q) = %q, %v", p, user, ok)
		}
	}
}

func TestValidUsername(t *testing.T) {
	tests := map[string]bool{
		"bob":                   true,
		"Bob_2":                 true,
		"_svc":                  true,
		"web.site-1":            true,
		"0day":                  true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"":                      false,
		"bob\r\nBcc: x@evil":    false,
		"bob\n":                 false,
		"bob@evil":              false,
		"../x":                  false,
		".bob":                  false,
		"-bob":                  false,
		"bob smith":             false,
		"<bob>":                 false,
		"bób":                   false,
		"bob$":                  false,
		"bob\x00":               false,
		"bob,eve":               false,
	}
	for in, want := range tests {
		if got := ValidUsername(in); got != want {
			t.Errorf("ValidUsername(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAddress(t *testing.T) {
	tests := []struct {
		user, domain, want string
	}{
		{"bob", "example.net", "bob@example.net"},
		{"bob", "localhost", "bob@localhost"},
		{"web.site-1", "mail.example.net", "web.site-1@mail.example.net"},
		{"bob", "", ""},
		{"bob", "example..net", ""},
		{"bob", "example.net.", ""},
		{"bob", "exa mple.net", ""},
		{"bob", "example.net>\r\nBcc: x", ""},
		{"bob@evil", "example.net", ""},
		{"a..b", "example.net", ""},
		{"bob.", "example.net", ""},
		{"", "example.net", ""},
	}
	for _, tt := range tests {
		got, err := Address(tt.user, tt.domain)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("Address(%q, %q) = %q, %v; want %q", tt.user, tt.domain, got, err, tt.want)
		}
	}
}

func TestHostDomain(t *testing.T) {
	h, err := os.Hostname()
	want := h
	if _, d, ok := strings.Cut(h, "."); ok && d != "" {
		want = d
	}
	if err != nil || h == "" {
		want = "localhost"
	}
	if got := HostDomain(); got != want {
		t.Errorf("HostDomain() = %q, want %q (host name %q)", got, want, h)
	}
}
