package signatures

import (
	"strings"
	"testing"
)

// TestTOMLWeightsAndMarkers: weights make weak signals, bounded below the
// score threshold; markers have no weight; neither may clean.
func TestTOMLWeightsAndMarkers(t *testing.T) {
	rule := func(extra string) string {
		return "[[rule]]\nid = \"T.1\"\ndescription = \"test rule\"\nliterals = [\"needle\"]\n" +
			"true_positives = [\"a needle\"]\nfalse_positives = [\"hay\"]\n" + extra
	}
	for _, tc := range []struct {
		name, extra, err string
		weight           int
		marker, signal   bool
	}{
		{"decisive", "", "", 0, false, false},
		{"weighted", "weight = 4\n", "", 4, false, true},
		{"highest weight", "weight = 9\n", "", 9, false, true},
		{"weight reaches threshold", "weight = 10\n", "weight 10 must be between 1 and 9", 0, false, false},
		{"negative weight", "weight = -1\n", "must be between 1 and 9", 0, false, false},
		{"marker", "marker = true\n", "", 0, true, true},
		{"weighted marker", "marker = true\nweight = 2\n", "a marker has no weight", 0, false, false},
		{"weighted cleaner", "weight = 2\nclean = 'needle'\n", "cannot clean", 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := ParseTOML("t.toml", []byte(rule(tc.extra)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "t.toml:1:") {
					t.Fatalf("error %v, want t.toml:1: …%s…", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := rules[0]
			if r.Weight != tc.weight || r.Marker != tc.marker || r.Signal() != tc.signal {
				t.Errorf("weight %d marker %v signal %v, want %d %v %v", r.Weight, r.Marker, r.Signal(), tc.weight, tc.marker, tc.signal)
			}
		})
	}
}
