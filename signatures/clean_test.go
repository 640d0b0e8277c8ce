package signatures

import "testing"

func TestCleanContent(t *testing.T) {
	re, err := CompileRegex(`<!--([0-9a-f]{6})-->.*<!--/\1-->`)
	if err != nil {
		t.Fatal(err)
	}
	inj := &Rule{ID: "t", Clean: re}
	plain, _ := CompileRegex(`/\*x\*/eval\(\$_POST\[1\]\);`)
	two := &Rule{ID: "u", Clean: plain}
	report := &Rule{ID: "r", Clean: plain, Category: CategorySuspicious}
	tests := []struct {
		name  string
		rules []*Rule
		in    string
		want  string
	}{
		{"backreference block", []*Rule{inj}, "a<!--abc123-->bad<!--/abc123-->b", "ab"},
		{"every match", []*Rule{two}, "1/*x*/eval($_POST[1]);2/*x*/eval($_POST[1]);3", "123"},
		{"two rules", []*Rule{inj, two}, "<!--abc123-->x<!--/abc123-->/*x*/eval($_POST[1]);ok", "ok"},
		{"report-only rule never cleans", []*Rule{report}, "/*x*/eval($_POST[1]);", "/*x*/eval($_POST[1]);"},
		{"no match", []*Rule{two}, "clean", "clean"},
	}
	for _, tt := range tests {
		if got := string(CleanContent(tt.rules, []byte(tt.in))); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNothingLeft(t *testing.T) {
	for in, want := range map[string]bool{"": true, " <?php \n ?>\n": true, "<?php ?><?php\n": true, "<?php echo 1; ?>": false, "<html>": false} {
		if got := NothingLeft([]byte(in)); got != want {
			t.Errorf("NothingLeft(%q) = %v", in, got)
		}
	}
}
