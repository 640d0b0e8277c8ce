package main

import (
	"strconv"
	"strings"
)

// Synthetic applications. A family (wordpress-like, joomla-like,
// laravel-like) fixes the directory tree and file names; its versions share
// ~70% of their files byte for byte, and every installed copy of a version is
// byte-identical to every other (what a shared host holds hundreds of).

type mixID uint8

const (
	mixPHP mixID = iota
	mixPHPMostly
	mixJS
	mixCSS
	mixAssets
	mixImages
	mixINI
	mixTXT
)

var mixes = map[mixID][]struct {
	k kind
	w int
}{
	mixPHP:       {{kPHP, 100}},
	mixPHPMostly: {{kPHP, 82}, {kJS, 6}, {kCSS, 6}, {kTXT, 4}, {kPNG, 2}},
	mixJS:        {{kJS, 100}},
	mixCSS:       {{kCSS, 100}},
	mixAssets:    {{kJS, 45}, {kCSS, 35}, {kPNG, 10}, {kJPG, 10}},
	mixImages:    {{kPNG, 50}, {kJPG, 50}},
	mixINI:       {{kINI, 90}, {kTXT, 10}},
	mixTXT:       {{kTXT, 100}},
}

func (r *rng) kindFrom(m mixID) kind {
	ks := mixes[m]
	w := make([]int, len(ks))
	for i, x := range ks {
		w[i] = x.w
	}
	return ks[r.weighted(w)].k
}

// node is a directory pattern. In name, {w} is a random word, {W} a
// capitalised one. copies is how many instances per 1000 template files
// (0: exactly one); weight is the directory's share of the files.
type node struct {
	name   string
	copies int
	weight int
	mix    mixID
	fixed  []string
	kids   []node
}

type family struct {
	name   string
	factor int // relative size (files) of the family's template
	tree   node
	// versions and their popularity (relative weight among all templates).
	versions []string
	weights  []int
}

var families = []family{
	{
		name: "wordpress", factor: 100,
		versions: []string{"6.4", "6.2", "5.9"}, weights: []int{40, 20, 10},
		tree: node{name: "", weight: 3, mix: mixPHPMostly,
			fixed: []string{"index.php", "wp-login.php", "wp-settings.php", "wp-load.php", "wp-cron.php", "xmlrpc.php", "wp-blog-header.php", "wp-config-sample.php", "license.txt", "readme.html"},
			kids: []node{
				{name: "wp-admin", weight: 8, mix: mixPHP, kids: []node{
					{name: "includes", weight: 8, mix: mixPHP},
					{name: "network", weight: 1, mix: mixPHP},
					{name: "user", weight: 1, mix: mixPHP},
					{name: "css", weight: 3, mix: mixCSS, kids: []node{{name: "colors/{w}", copies: 4, weight: 1, mix: mixCSS}}},
					{name: "js", weight: 4, mix: mixJS},
					{name: "images", weight: 2, mix: mixImages},
				}},
				{name: "wp-includes", weight: 12, mix: mixPHP, kids: []node{
					{name: "{w}", copies: 5, weight: 4, mix: mixPHP},
					{name: "blocks/{w}", copies: 30, weight: 1, mix: mixPHPMostly},
					{name: "js/{w}", copies: 6, weight: 3, mix: mixJS},
					{name: "css", weight: 2, mix: mixCSS},
					{name: "{W}/{W}", copies: 4, weight: 3, mix: mixPHP},
					{name: "rest-api/endpoints", weight: 3, mix: mixPHP},
					{name: "sodium_compat/src/Core/{W}", copies: 2, weight: 2, mix: mixPHP},
					{name: "images/{w}", copies: 3, weight: 1, mix: mixImages},
				}},
				{name: "wp-content", weight: 1, mix: mixPHP, fixed: []string{"index.php"}, kids: []node{
					{name: "plugins/{w}-{w}", copies: 10, weight: 3, mix: mixPHPMostly, kids: []node{
						{name: "includes", weight: 4, mix: mixPHP},
						{name: "assets", weight: 2, mix: mixAssets},
						{name: "languages", weight: 1, mix: mixTXT},
					}},
					{name: "themes/{w}", copies: 3, weight: 4, mix: mixPHPMostly, kids: []node{
						{name: "template-parts", weight: 2, mix: mixPHP},
						{name: "inc", weight: 2, mix: mixPHP},
						{name: "assets/{w}", copies: 2, weight: 2, mix: mixAssets},
					}},
				}},
			}},
	},
	{
		name: "joomla", factor: 140,
		versions: []string{"4.4", "3.10"}, weights: []int{12, 8},
		tree: node{name: "", weight: 1, mix: mixPHPMostly,
			fixed: []string{"index.php", "configuration.php-dist", "htaccess.txt", "LICENSE.txt", "README.txt", "web.config.txt"},
			kids: []node{
				{name: "administrator/components/com_{w}", copies: 12, weight: 1, mix: mixPHP, kids: []node{
					{name: "src/{W}", copies: 2, weight: 3, mix: mixPHP},
					{name: "tmpl/{w}", copies: 2, weight: 2, mix: mixPHP},
					{name: "forms", weight: 1, mix: mixTXT},
				}},
				{name: "components/com_{w}", copies: 8, weight: 2, mix: mixPHP, kids: []node{
					{name: "src/{W}", copies: 2, weight: 2, mix: mixPHP},
					{name: "tmpl/{w}", copies: 2, weight: 2, mix: mixPHP},
				}},
				{name: "libraries/src/{W}", copies: 14, weight: 4, mix: mixPHP},
				{name: "libraries/vendor/{w}/{w}/src", copies: 10, weight: 5, mix: mixPHP},
				{name: "plugins/{w}/{w}", copies: 12, weight: 2, mix: mixPHP},
				{name: "modules/mod_{w}", copies: 8, weight: 2, mix: mixPHP, kids: []node{{name: "tmpl", weight: 1, mix: mixPHP}}},
				{name: "templates/{w}", copies: 2, weight: 2, mix: mixPHPMostly, kids: []node{{name: "html/{w}", copies: 2, weight: 2, mix: mixPHP}}},
				{name: "media/{w}", copies: 8, weight: 3, mix: mixAssets},
				{name: "language/en-GB", weight: 8, mix: mixINI},
				{name: "administrator/language/en-GB", weight: 8, mix: mixINI},
			}},
	},
	{
		name: "laravel", factor: 80,
		versions: []string{"10"}, weights: []int{10},
		tree: node{name: "", weight: 1, mix: mixTXT,
			fixed: []string{"artisan", "composer.json", "README.md"},
			kids: []node{
				{name: "app/Http/Controllers", weight: 3, mix: mixPHP},
				{name: "app/Models", weight: 2, mix: mixPHP},
				{name: "app/Providers", weight: 1, mix: mixPHP},
				{name: "config", weight: 1, mix: mixPHP},
				{name: "routes", weight: 1, mix: mixPHP},
				{name: "database/migrations", weight: 2, mix: mixPHP},
				{name: "resources/views/{w}", copies: 4, weight: 2, mix: mixPHP},
				{name: "public", weight: 1, mix: mixPHP, fixed: []string{"index.php", ".htaccess.txt"}, kids: []node{
					{name: "js", weight: 1, mix: mixJS},
					{name: "css", weight: 1, mix: mixCSS},
				}},
				{name: "vendor/{w}/{w}/src/{W}", copies: 40, weight: 3, mix: mixPHP},
			}},
	},
}

// tfile is one file of a template, relative to the app's mount point.
type tfile struct {
	rel  string
	k    kind
	size int
	seed uint64
}

type template struct {
	family  int
	version string
	files   []tfile
}

type tdir struct {
	path  string
	w     int
	mix   mixID
	fixed []string
}

func expand(r *rng, name string) string {
	for strings.Contains(name, "{w}") {
		name = strings.Replace(name, "{w}", pick(r, words), 1)
	}
	for strings.Contains(name, "{W}") {
		name = strings.Replace(name, "{W}", title(pick(r, words))+title(pick(r, words)), 1)
	}
	return name
}

func instantiate(r *rng, n node, parent string, nfiles int, out *[]tdir, seen map[string]bool) {
	copies := 1
	if n.copies > 0 {
		copies = max(1, n.copies*nfiles/1000)
	}
	for i := 0; i < copies; i++ {
		p := parent
		if n.name != "" {
			name := expand(r, n.name)
			if parent != "" {
				p = parent + "/" + name
			} else {
				p = name
			}
		}
		if seen[p] {
			continue // a word repeated: one directory is enough
		}
		seen[p] = true
		*out = append(*out, tdir{path: p, w: n.weight, mix: n.mix, fixed: n.fixed})
		for _, k := range n.kids {
			instantiate(r, k, p, nfiles, out, seen)
		}
	}
}

// fileName returns a new name for a file of kind k in a directory whose
// naming style is style.
func fileName(r *rng, k kind, style int) string {
	w1, w2 := pick(r, words), pick(r, words)
	switch k {
	case kPHP:
		switch style % 4 {
		case 0:
			return "class-" + w1 + "-" + w2 + ".php"
		case 1:
			return w1 + "-" + w2 + ".php"
		case 2:
			return title(w1) + title(w2) + ".php"
		default:
			return w1 + "_" + w2 + ".php"
		}
	case kJS:
		if r.pct(50) {
			return w1 + "-" + w2 + ".min.js"
		}
		return w1 + ".js"
	case kCSS:
		if r.pct(40) {
			return w1 + "-rtl.min.css"
		}
		return w1 + "-" + w2 + ".css"
	case kPNG:
		return w1 + "-" + strconv.Itoa(r.between(16, 800)) + "x" + strconv.Itoa(r.between(16, 600)) + ".png"
	case kJPG:
		return w1 + "-" + w2 + ".jpg"
	case kINI:
		return "en-GB." + pick(r, []string{"com_", "mod_", "plg_system_", "tpl_", "lib_"}) + w1 + ".ini"
	case kTXT:
		return pick(r, []string{"readme.txt", "changelog.txt", "license.txt", w1 + ".txt", w1 + "-" + w2 + ".md", w1 + ".xml"})
	}
	return w1 + ".dat"
}

// buildTemplates makes every version of every family with the given number
// of files per family template (before the family's factor).
func buildTemplates(seed uint64, meanT int, small bool) []template {
	var ts []template
	for fi, f := range families {
		nfiles := max(20, meanT*f.factor/106)
		// Structure and names come from the family; the shared files' sizes
		// and contents too.
		fr := newRNG(seedOf(seed, 'F', uint64(fi)))
		var dirs []tdir
		instantiate(fr, f.tree, "", nfiles, &dirs, map[string]bool{})
		total := 0
		for _, d := range dirs {
			total += d.w
		}
		type slot struct {
			rel  string
			k    kind
			size int
			seed uint64
		}
		var slots []slot
		cum, done := 0, 0
		for di, d := range dirs {
			cum += d.w
			n := nfiles*cum/total - done
			done += n
			names := map[string]bool{}
			style := fr.intn(4)
			for i := 0; i < n; i++ {
				var name string
				var k kind
				if i < len(d.fixed) {
					name = d.fixed[i]
					k = kTXT
					if strings.HasSuffix(name, ".php") {
						k = kPHP
					}
				} else {
					k = fr.kindFrom(d.mix)
					name = fileName(fr, k, style)
				}
				for j := 2; names[name]; j++ {
					ext := ""
					if dot := strings.LastIndexByte(name, '.'); dot > 0 {
						ext = name[dot:]
						name = name[:dot]
					}
					name = name + "-" + strconv.Itoa(j) + ext
				}
				names[name] = true
				rel := name
				if d.path != "" {
					rel = d.path + "/" + name
				}
				slots = append(slots, slot{rel, k, fr.sizeFrom(sizesFor(k, small)), seedOf(seed, 'S', uint64(fi), uint64(di), uint64(i))})
			}
		}
		for vi, v := range f.versions {
			vr := newRNG(seedOf(seed, 'V', uint64(fi), uint64(vi)))
			t := template{family: fi, version: v}
			for i, s := range slots {
				tf := tfile{s.rel, s.k, s.size, s.seed}
				if vi > 0 && vr.pct(30) { // this version changed the file
					tf.size = vr.sizeFrom(sizesFor(s.k, small))
					tf.seed = seedOf(seed, 'v', uint64(fi), uint64(vi), uint64(i))
				}
				t.files = append(t.files, tf)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

func templateWeights(ts []template) []int {
	w := make([]int, len(ts))
	for i, t := range ts {
		f := families[t.family]
		for vi, v := range f.versions {
			if v == t.version {
				w[i] = f.weights[vi]
			}
		}
	}
	return w
}
