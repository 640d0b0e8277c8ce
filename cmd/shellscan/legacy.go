package main

import (
	"strings"

	"github.com/spf13/pflag"
)

// legacyArgs rewrites spam-gear's optional-argument syntax. php-shell-scan
// read the paths from standard input and took "-q DIR" and "-n PATTERN"
// with the value as the next word, as in
//
//	find /home -type f | php-shell-scan -q -n '^/home/\([^/.]*\)/.*' -c mail.txt
//
// Here an optional value must be attached ("-qDIR", "--quarantine=DIR"),
// since a separate word is a PATH to scan. When standard input is piped and
// every word that would be a PATH follows a -q or -n, the run is spam-gear's
// form and those words are the options' values.
func legacyArgs(args []string, stdinPiped bool, fs *pflag.FlagSet) []string {
	if !stdinPiped {
		return args
	}
	legacy := map[string]string{"quarantine": "--quarantine=", "notify-user": "--notify-user="}
	values := map[int]string{} // index of a value word → the option it belongs to
	positional := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional += len(args) - i - 1
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			positional++
			continue
		}
		var f *pflag.Flag
		if long, ok := strings.CutPrefix(a, "--"); ok {
			if strings.Contains(long, "=") {
				continue
			}
			f = fs.Lookup(long)
		} else {
			// Short options, possibly grouped (-0x); the last one may take
			// the next word as its value.
			for j := 1; j < len(a); j++ {
				f = fs.ShorthandLookup(a[j : j+1])
				if f != nil && takesValue(f) && j < len(a)-1 {
					f = nil // value attached: -j4
					break
				}
			}
		}
		if f == nil || i+1 >= len(args) {
			continue
		}
		next := args[i+1]
		switch {
		case takesValue(f) && f.NoOptDefVal == "":
			i++ // a required value
		case legacy[f.Name] != "" && next != "-" && !strings.HasPrefix(next, "-"):
			values[i+1] = legacy[f.Name]
			i++
		}
	}
	if positional > 0 || len(values) == 0 {
		return args
	}
	var out []string
	for i := 0; i < len(args); i++ {
		if prefix, ok := values[i+1]; ok {
			out = append(out, prefix+args[i+1])
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// takesValue reports whether a flag has a value (is not a boolean switch).
func takesValue(f *pflag.Flag) bool { return f.Value.Type() != "bool" }
