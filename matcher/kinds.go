package matcher

import (
	"bytes"
	"path/filepath"
	"strings"

	"github.com/spamgear/spamgear/signatures"
)

var extKinds = map[string]signatures.Kind{
	".php": signatures.KindPHP, ".php3": signatures.KindPHP, ".php4": signatures.KindPHP,
	".php5": signatures.KindPHP, ".php7": signatures.KindPHP, ".php8": signatures.KindPHP,
	".phtml": signatures.KindPHP, ".pht": signatures.KindPHP, ".phps": signatures.KindPHP,
	".phar": signatures.KindPHP, ".inc": signatures.KindPHP,
	".pl": signatures.KindPerl, ".pm": signatures.KindPerl, ".cgi": signatures.KindPerl | signatures.KindShell,
	".py":  signatures.KindPython,
	".asp": signatures.KindASP, ".aspx": signatures.KindASP, ".ashx": signatures.KindASP, ".asmx": signatures.KindASP,
	".jsp": signatures.KindJSP, ".jspx": signatures.KindJSP,
	".sh": signatures.KindShell, ".bash": signatures.KindShell,
	".html": signatures.KindHTML, ".htm": signatures.KindHTML, ".js": signatures.KindHTML, ".svg": signatures.KindHTML,
}

// sniffLen is how much of a file's start is searched for a script header.
const sniffLen = 512

// KindsOf tells what kinds of file name is, by its extension and, since
// hostile users hide PHP in images and text files, by its content: any
// file with a PHP open tag is PHP, and a #! line names its interpreter.
func KindsOf(name string, buf []byte) signatures.Kind {
	base := filepath.Base(name)
	lower := strings.ToLower(base)
	var k signatures.Kind
	if lower == ".htaccess" || lower == ".user.ini" || lower == "php.ini" {
		k |= signatures.KindHtaccess
	}
	k |= extKinds[strings.ToLower(filepath.Ext(lower))]
	if k&signatures.KindPHP == 0 && hasPHPTag(buf) {
		k |= signatures.KindPHP
	}
	if bytes.HasPrefix(buf, []byte("#!")) {
		line := buf[:min(len(buf), sniffLen)]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		switch {
		case bytes.Contains(line, []byte("perl")):
			k |= signatures.KindPerl
		case bytes.Contains(line, []byte("python")):
			k |= signatures.KindPython
		case bytes.Contains(line, []byte("php")):
			k |= signatures.KindPHP
		case bytes.Contains(line, []byte("sh")):
			k |= signatures.KindShell
		}
	}
	if k == 0 {
		k = signatures.KindOther
	}
	return k
}

// hasPHPTag reports whether buf holds "<?php" (any case), "<?=" or a short
// open tag anywhere ("<?" then white space or code: "<?system($_GET[1])"
// runs with short_open_tag, PHP's default), but not "<?xml".
func hasPHPTag(buf []byte) bool {
	for off := 0; ; {
		i := bytes.Index(buf[off:], []byte("<?"))
		if i < 0 {
			return false
		}
		p := off + i + 2
		if p < len(buf) && shortTagStart(buf[p:]) {
			return true
		}
		if p+3 <= len(buf) && (buf[p]|0x20) == 'p' && (buf[p+1]|0x20) == 'h' && (buf[p+2]|0x20) == 'p' {
			return true
		}
		off = p
	}
}

// shortTagStart reports whether the bytes after "<?" start PHP code.
func shortTagStart(b []byte) bool {
	switch c := b[0]; {
	case c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t':
		return true
	case c == '$' || c == '@' || c == '(' || c == '/' || c == '_':
		return true
	case ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z'):
		isXML := len(b) >= 3 && bytes.EqualFold(b[:3], []byte("xml")) && (len(b) == 3 || !isIdent(b[3]))
		return !isXML
	}
	return false
}

func isIdent(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
