package notify

import (
	"reflect"
	"testing"
)

func TestCollector(t *testing.T) {
	re, err := ParseUserPattern(DefaultUserPattern)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(re)
	sigs := []string{"c99"}
	for _, it := range []Item{
		{Path: "/home/bob/a.php", Signatures: sigs, Action: "reported"},
		{Path: "/home/alice/x.php", Signatures: []string{"r57"}, Action: "cleaned"},
		{Path: "/tmp/evil.php", Signatures: []string{"c99"}},
		{Path: "/home/bob/b.php", Signatures: []string{"PHP.Backdoor.1"}, Action: "quarantined to /root/shells/home/bob/b.php"},
		{Path: "/home/bob@evil/x.php", Signatures: []string{"c99"}},
		{Path: "/home/bob/a.php", Signatures: []string{"c99", "PHP.Finger.7"}, Action: "quarantined to /root/shells/home/bob/a.php"},
		{Path: "/home/bob/a.php", Signatures: []string{"c99"}, Action: "reported"},
	} {
		c.Add(it)
	}
	sigs[0] = "mutated" // Add keeps its own copy
	ds, unmatched := c.Digests()
	want := []Digest{
		{User: "alice", Items: []Item{{Path: "/home/alice/x.php", Signatures: []string{"r57"}, Action: "cleaned"}}},
		{User: "bob", Items: []Item{
			{Path: "/home/bob/a.php", Signatures: []string{"c99", "PHP.Finger.7"}, Action: "reported; quarantined to /root/shells/home/bob/a.php"},
			{Path: "/home/bob/b.php", Signatures: []string{"PHP.Backdoor.1"}, Action: "quarantined to /root/shells/home/bob/b.php"},
		}},
	}
	if !reflect.DeepEqual(ds, want) {
		t.Errorf("digests =\n%+v\nwant\n%+v", ds, want)
	}
	wantUnmatched := []Item{
		{Path: "/tmp/evil.php", Signatures: []string{"c99"}},
		{Path: "/home/bob@evil/x.php", Signatures: []string{"c99"}},
	}
	if !reflect.DeepEqual(unmatched, wantUnmatched) {
		t.Errorf("unmatched = %+v, want %+v", unmatched, wantUnmatched)
	}
	ds[1].Items[0].Signatures[0] = "changed"
	ds2, _ := c.Digests()
	if ds2[1].Items[0].Signatures[0] != "c99" {
		t.Errorf("Digests returned shared slices")
	}
}

func TestCollectorEmpty(t *testing.T) {
	re, _ := ParseUserPattern(DefaultUserPattern)
	ds, unmatched := NewCollector(re).Digests()
	if len(ds) != 0 || len(unmatched) != 0 {
		t.Errorf("empty collector gave %v, %v", ds, unmatched)
	}
}
