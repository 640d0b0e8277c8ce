package main

import (
	"strconv"
)

// kind is what a generated file contains.
type kind uint8

const (
	kPHP      kind = iota // synthetic PHP
	kJS                   // JavaScript, some minified
	kCSS                  // style sheets
	kJPG                  // JPEG header + random bytes
	kPNG                  // PNG header + random bytes
	kTXT                  // readme / license / changelog prose
	kINI                  // language file KEY="text"
	kMail                 // one Maildir message
	kLog                  // error_log / access log
	kConfig               // per-site PHP config (wp-config.php style), unique per instance
	kHtaccess             // .htaccess
	kMarker               // harmless planted-shell marker (when no real samples are present)
	kCopy                 // copy of a source file (real apps, real shell samples)
	numKinds
)

var kindNames = [numKinds]string{"php", "js", "css", "jpg", "png", "txt", "ini", "mail", "log", "config", "htaccess", "marker", "copy"}

func (k kind) String() string { return kindNames[k] }

// Size distributions (bytes). PHP: most files 1–30 KB, a tail to 500 KB
// (Debian's PHP packages: median 2.3 KB, p90 16 KB, p99 90 KB).
var (
	sizesPHP  = []bucket{{220, 200, 999}, {370, 1000, 3999}, {200, 4000, 9999}, {150, 10000, 29999}, {55, 30000, 99999}, {5, 100000, 500000}}
	sizesJS   = []bucket{{40, 300, 4999}, {50, 5000, 39999}, {10, 40000, 200000}}
	sizesCSS  = []bucket{{50, 200, 4999}, {45, 5000, 29999}, {5, 30000, 100000}}
	sizesIMG  = []bucket{{50, 1000, 19999}, {45, 20000, 120000}, {5, 120000, 300000}}
	sizesTXT  = []bucket{{70, 200, 4999}, {30, 5000, 40000}}
	sizesINI  = []bucket{{60, 500, 5000}, {40, 5000, 30000}}
	sizesMail = []bucket{{75, 1000, 7999}, {23, 8000, 60000}, {2, 60000, 300000}}
	sizesLog  = []bucket{{85, 200, 19999}, {15, 20000, 300000}}
	// -small: every file 100 B – 4 KB.
	sizesSmall = []bucket{{50, 100, 999}, {50, 1000, 4000}}
)

func sizesFor(k kind, small bool) []bucket {
	if small {
		return sizesSmall
	}
	switch k {
	case kPHP:
		return sizesPHP
	case kJS:
		return sizesJS
	case kCSS:
		return sizesCSS
	case kJPG, kPNG:
		return sizesIMG
	case kTXT:
		return sizesTXT
	case kINI:
		return sizesINI
	case kMail:
		return sizesMail
	case kLog:
		return sizesLog
	}
	return sizesSmall
}

// generate returns the bytes of a file of kind k, about size bytes, from seed.
// aux is per-file context (the user name for logs and configs).
func generate(k kind, size int, seed uint64, aux string, dst []byte) []byte {
	r := newRNG(seed)
	switch k {
	case kPHP:
		return genPHP(r, size, dst)
	case kJS:
		return genJS(r, size, dst)
	case kCSS:
		return genCSS(r, size, dst)
	case kJPG:
		return genBinary(r, size, dst, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00H\x00H\x00\x00"), []byte("\xff\xd9"))
	case kPNG:
		return genBinary(r, size, dst, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), []byte("\x00\x00\x00\x00IEND\xaeB`\x82"))
	case kTXT:
		return genText(r, size, dst)
	case kINI:
		return genINI(r, size, dst)
	case kMail:
		return genMail(r, size, aux, dst)
	case kLog:
		return genLog(r, size, aux, dst)
	case kConfig:
		return genConfig(r, aux, dst)
	case kHtaccess:
		return genHtaccess(r, dst)
	case kMarker:
		return genMarker(r, dst)
	}
	return dst[:0]
}

func sentence(r *rng, lo, hi int, b []byte) []byte {
	n := r.between(lo, hi)
	b = append(b, title(pick(r, words))...)
	for i := 1; i < n; i++ {
		b = append(b, ' ')
		b = append(b, pick(r, words)...)
	}
	return append(b, '.')
}

func genText(r *rng, size int, b []byte) []byte {
	b = b[:0]
	b = append(b, "=== "...)
	b = sentence(r, 2, 5, b)
	b = append(b, " ===\n\n"...)
	for len(b) < size {
		for i := r.between(2, 6); i > 0; i-- {
			b = sentence(r, 6, 18, b)
			b = append(b, ' ')
		}
		b = append(b, "\n\n"...)
		if r.pct(15) {
			b = append(b, "= "...)
			b = append(b, strconv.Itoa(r.between(1, 6))...)
			b = append(b, '.')
			b = append(b, strconv.Itoa(r.between(0, 9))...)
			b = append(b, " =\n* "...)
			b = sentence(r, 3, 9, b)
			b = append(b, "\n\n"...)
		}
	}
	return b
}

func genINI(r *rng, size int, b []byte) []byte {
	b = append(b[:0], "; "...)
	b = sentence(r, 3, 8, b)
	b = append(b, "\n; Note : All ini files need to be saved as UTF-8\n\n"...)
	prefix := upper(pick(r, []string{"com_", "mod_", "plg_", "tpl_", "lib_"}) + pick(r, words))
	for len(b) < size {
		b = append(b, prefix...)
		b = append(b, '_')
		b = append(b, upper(pick(r, words))...)
		b = append(b, '_')
		b = append(b, upper(pick(r, words))...)
		b = append(b, "=\""...)
		b = sentence(r, 1, 10, b)
		b = append(b, "\"\n"...)
	}
	return b
}

func genJS(r *rng, size int, b []byte) []byte {
	b = b[:0]
	minified := r.pct(40)
	sep := "\n"
	ind := "\t"
	if minified {
		sep, ind = "", ""
		b = append(b, "/*! "...)
		b = append(b, pick(r, words)...)
		b = append(b, " v"...)
		b = append(b, strconv.Itoa(r.between(1, 4))...)
		b = append(b, ".x | (c) contributors | MIT */\n"...)
	} else {
		b = append(b, "/**\n * "...)
		b = sentence(r, 4, 10, b)
		b = append(b, "\n */\n"...)
	}
	b = append(b, "(function($,window,undefined){"...)
	b = append(b, sep...)
	b = append(b, "\"use strict\";"...)
	for len(b) < size {
		b = append(b, sep...)
		b = append(b, ind...)
		switch r.intn(5) {
		case 0:
			b = append(b, "var "...)
			b = append(b, pick(r, words)...)
			b = append(b, title(pick(r, words))...)
			b = append(b, "=$(\"."...)
			b = append(b, pick(r, words)...)
			b = append(b, '-')
			b = append(b, pick(r, words)...)
			b = append(b, "\");"...)
		case 1:
			b = append(b, "function "...)
			b = append(b, pick(r, words)...)
			b = append(b, title(pick(r, words))...)
			b = append(b, "(e,t){if(!e){return t}var n=e."...)
			b = append(b, pick(r, words)...)
			b = append(b, "||{};return n[t]!==undefined?n[t]:\""...)
			b = append(b, pick(r, words)...)
			b = append(b, "\"}"...)
		case 2:
			b = append(b, "$(document).on(\"click\",\"."...)
			b = append(b, pick(r, words)...)
			b = append(b, "\",function(e){e.preventDefault();$(this).toggleClass(\"is-"...)
			b = append(b, pick(r, words)...)
			b = append(b, "\")});"...)
		case 3:
			b = append(b, "window."...)
			b = append(b, pick(r, words)...)
			b = append(b, "Settings={url:\"/wp-admin/admin-ajax.php\",nonce:\""...)
			for i := 0; i < 10; i++ {
				b = append(b, "0123456789abcdef"[r.intn(16)])
			}
			b = append(b, "\",i18n:{"...)
			b = append(b, pick(r, words)...)
			b = append(b, ":\""...)
			b = sentence(r, 2, 6, b)
			b = append(b, "\"}};"...)
		default:
			b = append(b, "// "...)
			if minified {
				b = append(b[:len(b)-3], "/*"...)
				b = sentence(r, 3, 8, b)
				b = append(b, "*/"...)
			} else {
				b = sentence(r, 3, 8, b)
			}
		}
	}
	b = append(b, sep...)
	b = append(b, "})(jQuery,window);\n"...)
	return b
}

func genCSS(r *rng, size int, b []byte) []byte {
	b = append(b[:0], "/* "...)
	b = sentence(r, 2, 6, b)
	b = append(b, " */\n"...)
	props := []string{"color:#333", "margin:0 auto", "padding:4px 8px", "display:block", "display:flex", "font-size:14px", "line-height:1.5", "border:1px solid #ddd", "background:#fff", "position:relative", "width:100%", "text-align:left", "z-index:10"}
	for len(b) < size {
		b = append(b, '.')
		b = append(b, pick(r, words)...)
		b = append(b, '-')
		b = append(b, pick(r, words)...)
		if r.pct(40) {
			b = append(b, " ."...)
			b = append(b, pick(r, words)...)
		}
		b = append(b, "{"...)
		for i := r.between(1, 6); i > 0; i-- {
			b = append(b, pick(r, props)...)
			b = append(b, ';')
		}
		b = append(b, "}\n"...)
	}
	return b
}

func genBinary(r *rng, size int, b []byte, head, tail []byte) []byte {
	if size < len(head)+len(tail) {
		size = len(head) + len(tail)
	}
	if cap(b) < size {
		b = make([]byte, size)
	}
	b = b[:size]
	copy(b, head)
	r.fill(b[len(head) : size-len(tail)])
	copy(b[size-len(tail):], tail)
	return b
}

var months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func genMail(r *rng, size int, user string, b []byte) []byte {
	b = b[:0]
	day := strconv.Itoa(r.between(1, 28))
	date := day + " " + pick(r, months) + " 20" + strconv.Itoa(r.between(18, 24)) + " " + strconv.Itoa(r.between(10, 23)) + ":" + strconv.Itoa(r.between(10, 59)) + ":" + strconv.Itoa(r.between(10, 59)) + " +0000"
	from := pick(r, words) + "." + pick(r, words) + "@" + pick(r, words) + "-" + pick(r, words) + ".example"
	b = append(b, "Return-Path: <"+from+">\nDelivered-To: info@"+user+".example.com\nReceived: from mail.example.net (mail.example.net [192.0.2."+strconv.Itoa(r.between(1, 254))+"])\n\tby server.example.com with ESMTPS id "...)
	for i := 0; i < 16; i++ {
		b = append(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[r.intn(36)])
	}
	b = append(b, "\n\tfor <info@"+user+".example.com>; "+date+"\nFrom: "+from+"\nTo: info@"+user+".example.com\nSubject: "...)
	b = sentence(r, 2, 8, b)
	b = append(b, "\nDate: "+date+"\nMessage-ID: <"...)
	b = append(b, strconv.FormatUint(r.u64(), 36)...)
	b = append(b, "@mail.example.net>\nMIME-Version: 1.0\n"...)
	attach := size > 12000 && r.pct(60)
	if attach {
		b = append(b, "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n"...)
	} else {
		b = append(b, "Content-Type: text/plain; charset=utf-8\n\n"...)
	}
	body := size
	if attach {
		body = len(b) + 600
	}
	for len(b) < body {
		for i := r.between(1, 4); i > 0; i-- {
			b = sentence(r, 5, 15, b)
			b = append(b, ' ')
		}
		b = append(b, "\n\n"...)
	}
	if attach {
		b = append(b, "--b1\nContent-Type: application/pdf; name=\""...)
		b = append(b, pick(r, words)...)
		b = append(b, ".pdf\"\nContent-Transfer-Encoding: base64\n\n"...)
		const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for len(b) < size {
			for i := 0; i < 76; i++ {
				b = append(b, b64[r.intn(64)])
			}
			b = append(b, '\n')
		}
		b = append(b, "--b1--\n"...)
	}
	return b
}

func genLog(r *rng, size int, user string, b []byte) []byte {
	b = b[:0]
	levels := []string{"PHP Warning:  Undefined variable $", "PHP Notice:  Undefined index: ", "PHP Deprecated:  Function ", "PHP Warning:  Undefined array key \""}
	for len(b) < size {
		b = append(b, '[')
		b = append(b, strconv.Itoa(r.between(10, 28))...)
		b = append(b, '-')
		b = append(b, pick(r, months)...)
		b = append(b, "-2024 "...)
		b = append(b, strconv.Itoa(r.between(10, 23))...)
		b = append(b, ':')
		b = append(b, strconv.Itoa(r.between(10, 59))...)
		b = append(b, ':')
		b = append(b, strconv.Itoa(r.between(10, 59))...)
		b = append(b, " UTC] "...)
		b = append(b, pick(r, levels)...)
		b = append(b, pick(r, words)...)
		b = append(b, " in /home/"...)
		b = append(b, user...)
		b = append(b, "/public_html/wp-content/plugins/"...)
		b = append(b, pick(r, words)...)
		b = append(b, '/')
		b = append(b, pick(r, words)...)
		b = append(b, ".php on line "...)
		b = append(b, strconv.Itoa(r.between(1, 2000))...)
		b = append(b, '\n')
	}
	return b
}

func genConfig(r *rng, user string, b []byte) []byte {
	b = append(b[:0], "<?php\n/**\n * The base configuration for the site.\n */\n\n"...)
	def := func(k, v string) {
		b = append(b, "define( '"+k+"', '"+v+"' );\n"...)
	}
	def("DB_NAME", user+"_"+pick(r, words))
	def("DB_USER", user+"_"+pick(r, words))
	salt := func() string {
		const cs = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&()*+,-./:;<=>?@[]^_{|}~"
		s := make([]byte, 64)
		for i := range s {
			s[i] = cs[r.intn(len(cs))]
		}
		return string(s)
	}
	def("DB_PASSWORD", salt()[:20])
	def("DB_HOST", "localhost")
	def("DB_CHARSET", "utf8mb4")
	for _, k := range []string{"AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"} {
		def(k, salt())
	}
	b = append(b, "\n$table_prefix = 'wp"...)
	b = append(b, strconv.Itoa(r.between(0, 99))...)
	b = append(b, "_';\n\ndefine( 'WP_DEBUG', false );\n\nif ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n\nrequire_once ABSPATH . 'wp-settings.php';\n"...)
	return b
}

func genHtaccess(r *rng, b []byte) []byte {
	b = append(b[:0], "# BEGIN WordPress\n<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.php [L]\n</IfModule>\n# END WordPress\n"...)
	if r.pct(50) {
		b = append(b, "\n<Files xmlrpc.php>\norder deny,allow\ndeny from all\n</Files>\n"...)
	}
	if r.pct(30) {
		b = append(b, "php_value upload_max_filesize "...)
		b = append(b, strconv.Itoa(r.between(2, 128))...)
		b = append(b, "M\n"...)
	}
	return b
}

// Harmless stand-ins for web shells: strings a shell scanner's rules look
// for, in files that are not working shells (no payload, marked as test data).
var markers = []string{
	"<?php /* SPAMGEAR-BENCH-MARKER */ eval(base64_decode($_POST['x'])); ?>\n",
	"<?php /* SPAMGEAR-BENCH-MARKER */ @eval($_REQUEST['cmd']); ?>\n",
	"<?php /* SPAMGEAR-BENCH-MARKER */ system($_GET['c']); ?>\n",
	"<?php /* SPAMGEAR-BENCH-MARKER */ $f = 'assert'; $f($_POST['p']); ?>\n",
	"<?php /* SPAMGEAR-BENCH-MARKER */ eval(gzinflate(base64_decode($_COOKIE['z']))); ?>\n",
}

func genMarker(r *rng, b []byte) []byte {
	return append(b[:0], pick(r, markers)...)
}
