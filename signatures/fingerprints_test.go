package signatures

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spamgear/spamgear/internal/testenv"
)

func TestParseFingerprints(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		ids     []string
		lits    []string
		sources []string
		err     string // exact error prefix; "" for success
	}{
		{name: "empty file", in: ""},
		{name: "one line no newline", in: "eval(base64", ids: []string{"PHP.Finger.0"}, lits: []string{"eval(base64"}, sources: []string{"f.txt:1"}},
		{name: "crlf and strip", in: "  abcd \r\nefgh\r\n", ids: []string{"PHP.Finger.0", "PHP.Finger.1"}, lits: []string{"abcd", "efgh"}},
		{name: "empty lines keep numbering", in: "abcd\n\n   \nwxyz\n", ids: []string{"PHP.Finger.0", "PHP.Finger.3"}, lits: []string{"abcd", "wxyz"}, sources: []string{"f.txt:1", "f.txt:4"}},
		{name: "bom dropped", in: "\xef\xbb\xbfabcd\n", ids: []string{"PHP.Finger.0"}, lits: []string{"abcd"}},
		{name: "binary bytes kept", in: "\x00\xff\x01\x02\n", ids: []string{"PHP.Finger.0"}, lits: []string{"\x00\xff\x01\x02"}},
		{name: "short line", in: "abcd\nabc\n", err: "f.txt:2: "},
		{name: "short after strip", in: "abcd\nefgh\n ab \n", err: "f.txt:3: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseFingerprints("f.txt", []byte(tt.in))
			if tt.err != "" {
				assertParseError(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rules) != len(tt.ids) {
				t.Fatalf("got %d rules, want %d", len(rules), len(tt.ids))
			}
			for i, r := range rules {
				if r.ID != tt.ids[i] || r.Name != tt.ids[i] {
					t.Errorf("rule %d: ID %q Name %q, want %q", i, r.ID, r.Name, tt.ids[i])
				}
				if len(r.Literals) != 1 || string(r.Literals[0].Text) != tt.lits[i] || r.Literals[0].NoCase {
					t.Errorf("rule %d: literals %+v, want one case-sensitive %q", i, r.Literals, tt.lits[i])
				}
				if tt.sources != nil && r.Source != tt.sources[i] {
					t.Errorf("rule %d: Source %q, want %q", i, r.Source, tt.sources[i])
				}
				if r.Engine != EngineCustom || r.Category != CategoryShell || r.Severity != SeverityHigh || r.Kinds != KindPHP {
					t.Errorf("rule %d: %+v", i, r)
				}
			}
		})
	}
}

func TestSeedFingerprints(t *testing.T) {
	path := testenv.Shared(t, "seed-sigs/fingerprints.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseFingerprints("fingerprints.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 24 {
		t.Fatalf("got %d rules, want 24", len(rules))
	}
	if rules[23].ID != "PHP.Finger.23" || string(rules[23].Literals[0].Text) != "eval(gzinflate(base64_decode(" {
		t.Errorf("last rule %s %q", rules[23].ID, rules[23].Literals[0].Text)
	}
	checkRules(t, rules)
}

// assertParseError checks that err is a *ParseError printing with prefix.
func assertParseError(t *testing.T, err error, prefix string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one starting %q", prefix)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *ParseError", err, err)
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Fatalf("error %q, want prefix %q", err, prefix)
	}
}

// checkRules asserts the invariants every parser's rules share.
func checkRules(t testing.TB, rules []*Rule) {
	t.Helper()
	if err := ruleInvariants(rules); err != nil {
		t.Fatal(err)
	}
}

func ruleInvariants(rules []*Rule) error {
	seen := map[string]bool{}
	for _, r := range rules {
		if r == nil {
			return errors.New("nil rule")
		}
		if r.ID == "" {
			return errors.New("empty rule ID")
		}
		if !validID.MatchString(r.ID) {
			return errors.New("invalid rule ID " + r.ID)
		}
		if seen[r.ID] {
			return errors.New("duplicate rule ID " + r.ID)
		}
		seen[r.ID] = true
		for _, l := range r.Literals {
			if len(l.Text) == 0 {
				return errors.New("empty literal in " + r.ID)
			}
		}
		if len(r.Literals) == 0 && r.Confirm == nil {
			return errors.New("rule " + r.ID + " has neither literals nor regex")
		}
	}
	return nil
}
