package notify

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Item is one file to tell a user about.
type Item struct {
	// Path is the file's path as found (hostile: escaped when rendered).
	Path string
	// Signatures are the names of what was found in it.
	Signatures []string
	// Action is what was done, e.g. "quarantined to
	// /root/shells/home/bob/x.php", "cleaned", "reported".
	Action string
}

// Digest is everything to tell one user in one run.
type Digest struct {
	User  string
	Items []Item
}

// Collector groups items by the user their path belongs to. It is not safe
// for concurrent use: feed it from one goroutine (the scan's sink).
type Collector struct {
	re        *regexp.Regexp
	byUser    map[string]*Digest
	index     map[string]int // user + "\x00" + path → index in Items
	unmatched []Item
}

// NewCollector returns a Collector deriving users with re (see
// ParseUserPattern and UserOf).
func NewCollector(re *regexp.Regexp) *Collector {
	return &Collector{re: re, byUser: map[string]*Digest{}, index: map[string]int{}}
}

// Add records item under the user of its path, or as unmatched when the
// path yields no valid user. A path added again is merged into its first
// item: new signatures are appended, and a different action is appended
// after "; ".
func (c *Collector) Add(item Item) {
	item.Signatures = slices.Clone(item.Signatures)
	user, ok := UserOf(c.re, item.Path)
	if !ok {
		c.unmatched = append(c.unmatched, item)
		return
	}
	d := c.byUser[user]
	if d == nil {
		d = &Digest{User: user}
		c.byUser[user] = d
	}
	key := user + "\x00" + item.Path
	i, seen := c.index[key]
	if !seen {
		c.index[key] = len(d.Items)
		d.Items = append(d.Items, item)
		return
	}
	old := &d.Items[i]
	for _, s := range item.Signatures {
		if !slices.Contains(old.Signatures, s) {
			old.Signatures = append(old.Signatures, s)
		}
	}
	if item.Action != "" && !slices.Contains(strings.Split(old.Action, "; "), item.Action) {
		if old.Action == "" {
			old.Action = item.Action
		} else {
			old.Action += "; " + item.Action
		}
	}
}

// Digests returns one digest per user, sorted by user name, with items in
// the order they were added; and the items whose path gave no valid user,
// for the caller to report. The results are copies.
func (c *Collector) Digests() (ds []Digest, unmatched []Item) {
	ds = make([]Digest, 0, len(c.byUser))
	for _, d := range c.byUser {
		items := make([]Item, len(d.Items))
		for i, it := range d.Items {
			it.Signatures = slices.Clone(it.Signatures)
			items[i] = it
		}
		ds = append(ds, Digest{User: d.User, Items: items})
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].User < ds[j].User })
	for _, it := range c.unmatched {
		it.Signatures = slices.Clone(it.Signatures)
		unmatched = append(unmatched, it)
	}
	return ds, unmatched
}
