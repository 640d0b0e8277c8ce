package signatures

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is a bit set of file kinds a rule applies to.
type Kind uint16

// File kinds. A file may be of several kinds (a PHP shell hidden in a .jpg is
// both KindPHP, by content, and nothing else by extension).
const (
	KindPHP Kind = 1 << iota
	KindPerl
	KindPython
	KindASP
	KindJSP
	KindShell // shell and CGI scripts
	KindHTML  // HTML and JavaScript
	KindHtaccess
	KindOther // anything else, binaries included

	KindAny Kind = 1<<iota - 1
)

var kindNames = map[string]Kind{
	"php": KindPHP, "perl": KindPerl, "pl": KindPerl, "python": KindPython, "py": KindPython,
	"asp": KindASP, "aspx": KindASP, "jsp": KindJSP, "shell": KindShell, "sh": KindShell, "cgi": KindShell,
	"html": KindHTML, "js": KindHTML, "htaccess": KindHtaccess, "other": KindOther, "any": KindAny,
}

// ParseKinds parses a list of kind names; an empty list means KindAny.
func ParseKinds(names []string) (Kind, error) {
	if len(names) == 0 {
		return KindAny, nil
	}
	var k Kind
	for _, n := range names {
		v, ok := kindNames[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return 0, fmt.Errorf("unknown file kind %q (want one of %s)", n, strings.Join(KindNames(), ", "))
		}
		k |= v
	}
	return k, nil
}

// KindNames lists the accepted kind names.
func KindNames() []string {
	out := make([]string, 0, len(kindNames))
	for n := range kindNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// String lists the kinds in the set.
func (k Kind) String() string {
	if k == KindAny {
		return "any"
	}
	order := []struct {
		k Kind
		n string
	}{{KindPHP, "php"}, {KindPerl, "perl"}, {KindPython, "python"}, {KindASP, "asp"}, {KindJSP, "jsp"},
		{KindShell, "shell"}, {KindHTML, "html"}, {KindHtaccess, "htaccess"}, {KindOther, "other"}}
	var parts []string
	for _, o := range order {
		if k&o.k != 0 {
			parts = append(parts, o.n)
		}
	}
	return strings.Join(parts, ",")
}
