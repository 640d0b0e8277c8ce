package signatures

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// tomlFile is the schema of the project's rule files.
type tomlFile struct {
	Rule []tomlRule `toml:"rule"`
}

type tomlRule struct {
	ID             string   `toml:"id"`
	Name           string   `toml:"name"`
	Description    string   `toml:"description"`
	Category       string   `toml:"category"`
	Severity       string   `toml:"severity"`
	Literals       []string `toml:"literals"`
	Requires       []string `toml:"requires"`
	NoCase         *bool    `toml:"nocase"`
	Regex          string   `toml:"regex"`
	Clean          string   `toml:"clean"`
	Kinds          []string `toml:"kinds"`
	Window         int      `toml:"window"`
	Anchor         bool     `toml:"anchor"`
	Boundary       bool     `toml:"boundary"`
	Weight         int      `toml:"weight"`
	Marker         bool     `toml:"marker"`
	TruePositives  []string `toml:"true_positives"`
	FalsePositives []string `toml:"false_positives"`
}

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// MinLiteralLen is the shortest literal a TOML rule may use: shorter ones
// hit almost every file and make the prefilter useless.
const MinLiteralLen = 4

// ParseTOML parses the project's rule format. Literals are case-insensitive
// unless the rule says nocase = false (PHP identifiers are).
func ParseTOML(name string, data []byte) ([]*Rule, error) {
	var f tomlFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, errAt(name, pe.Position.Line, "%s", pe.Message)
		}
		return nil, errAt(name, 0, "%v", err)
	}
	starts := ruleHeaderLines(data)
	lineOf := func(i int) int {
		if i < len(starts) {
			return starts[i]
		}
		return 0
	}
	if und := md.Undecoded(); len(und) > 0 {
		key := und[0]
		return nil, errAt(name, keyLine(data, key[len(key)-1]), "unknown key %q", key.String())
	}
	rules := make([]*Rule, 0, len(f.Rule))
	for i, tr := range f.Rule {
		line := lineOf(i)
		r, err := tr.compile()
		if err != nil {
			id := tr.ID
			if id == "" {
				id = fmt.Sprintf("#%d", i+1)
			}
			return nil, errAt(name, line, "rule %s: %v", id, err)
		}
		r.Source = fmt.Sprintf("%s:%d", name, line)
		if err := r.Validate(); err != nil {
			return nil, errAt(name, line, "rule %s: %v", r.ID, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func (tr tomlRule) compile() (*Rule, error) {
	if !validID.MatchString(tr.ID) {
		return nil, fmt.Errorf("id %q must be letters, digits, '.', '_' or '-'", tr.ID)
	}
	r := &Rule{ID: tr.ID, Name: tr.Name, Description: tr.Description, Engine: EngineRules, Severity: SeverityHigh, Window: tr.Window, Boundary: tr.Boundary}
	if r.Name == "" {
		r.Name = tr.ID
	}
	var err error
	if tr.Category != "" {
		if r.Category, err = ParseCategory(tr.Category); err != nil {
			return nil, err
		}
	}
	if tr.Severity != "" {
		if r.Severity, err = ParseSeverity(tr.Severity); err != nil {
			return nil, err
		}
	}
	if r.Kinds, err = ParseKinds(tr.Kinds); err != nil {
		return nil, err
	}
	nocase := tr.NoCase == nil || *tr.NoCase
	for _, group := range []struct {
		in  []string
		out *[]Literal
	}{{tr.Literals, &r.Literals}, {tr.Requires, &r.Requires}} {
		for _, l := range group.in {
			if len(l) < MinLiteralLen {
				return nil, fmt.Errorf("literal %q is shorter than %d bytes", l, MinLiteralLen)
			}
			if strings.TrimSpace(l) == "" {
				return nil, fmt.Errorf("literal %q is only white space", l)
			}
			*group.out = append(*group.out, Literal{Text: []byte(l), NoCase: nocase})
		}
	}
	if tr.Regex != "" {
		if r.Confirm, err = CompileRegex(tr.Regex); err != nil {
			return nil, fmt.Errorf("regex: %v", err)
		}
	}
	if tr.Anchor {
		if r.Confirm == nil {
			return nil, errors.New("anchor needs a regex")
		}
		if r.Window < 0 {
			return nil, errors.New("anchor needs a window >= 0")
		}
		r.Unanchored = r.Confirm
		if r.Confirm, err = r.Confirm.Anchor(); err != nil {
			return nil, fmt.Errorf("regex: %v", err)
		}
		r.Anchored = true
	}
	if tr.Clean != "" {
		if r.Clean, err = CompileRegex(tr.Clean); err != nil {
			return nil, fmt.Errorf("clean: %v", err)
		}
	}
	if len(r.Literals) == 0 {
		return nil, errors.New("needs at least one literal (the prefilter keyword)")
	}
	switch {
	case tr.Weight < 0 || tr.Weight >= ScoreThreshold:
		return nil, fmt.Errorf("weight %d must be between 1 and %d: one signal alone must never flag a file", tr.Weight, ScoreThreshold-1)
	case tr.Marker && tr.Weight > 0:
		return nil, errors.New("a marker has no weight")
	case (tr.Marker || tr.Weight > 0) && tr.Clean != "":
		return nil, errors.New("a signal or marker cannot clean: it does not flag a file alone")
	}
	r.Weight, r.Marker = tr.Weight, tr.Marker
	r.TruePositives = tr.TruePositives
	r.FalsePositives = tr.FalsePositives
	return r, nil
}

// ruleHeaderLines returns the 1-based line of each [[rule]] header.
func ruleHeaderLines(data []byte) []int {
	var out []int
	for i, line := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("[[")) && bytes.Equal(bytes.Join(bytes.Fields(bytes.Trim(t, "[]")), nil), []byte("rule")) {
			out = append(out, i+1)
		}
	}
	return out
}

// keyLine returns the first line that assigns key, or 0.
func keyLine(data []byte, key string) int {
	for i, line := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if k, _, ok := bytes.Cut(t, []byte("=")); ok && string(bytes.TrimSpace(k)) == key {
			return i + 1
		}
	}
	return 0
}
