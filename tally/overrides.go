package tally

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Overrides are per-sender thresholds: spam-gear's
// postfix-spam-scan.overrides, one "USER MAX" per line, # comments. A MAX
// of 0 means the sender is never reported.
type Overrides map[string]int

// ParseOverrides reads an overrides file; name is used in errors
// ("FILE:LINE: what").
func ParseOverrides(name string, r io.Reader) (Overrides, error) {
	o := Overrides{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"USER MAX\", got %q", name, n, strings.TrimSpace(line))
		}
		max, err := strconv.Atoi(f[1])
		if err != nil || max < 0 {
			return nil, fmt.Errorf("%s:%d: %q is not a message count", name, n, f[1])
		}
		o[f[0]] = max
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return o, nil
}

// Limit returns the threshold for name: its override, else def.
func (o Overrides) Limit(def int) func(name string) int {
	return func(name string) int {
		if v, ok := o[name]; ok {
			return v
		}
		return def
	}
}
