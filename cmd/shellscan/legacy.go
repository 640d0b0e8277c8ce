package main

import "strings"

// legacyArgs rewrites spam-gear's optional-argument syntax. php-shell-scan
// took "-q DIR" and "-n PATTERN" with the value as the next word. Here an
// optional value must be attached ("-qDIR", "--quarantine=DIR"), since a
// separate word is a PATH to scan. When paths come from standard input
// (no PATH arguments besides the value, stdin piped), the old form
// "... | shellscan -q /root/shells" is understood as spam-gear meant it.
func legacyArgs(args []string, stdinPiped bool) []string {
	if !stdinPiped {
		return args
	}
	positional := 0
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional++
		}
	}
	if positional != 1 || len(args) < 2 {
		return args
	}
	last, prev := args[len(args)-1], args[len(args)-2]
	if strings.HasPrefix(last, "-") {
		return args
	}
	var long string
	switch prev {
	case "-q", "--quarantine":
		long = "--quarantine="
	case "-n", "--notify-user":
		long = "--notify-user="
	default:
		return args
	}
	out := append([]string{}, args[:len(args)-2]...)
	return append(out, long+last)
}
