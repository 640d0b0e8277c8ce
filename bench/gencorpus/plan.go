package main

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// The planner decides, sequentially and from the seed alone, every file of
// the tree; the writer's workers produce the bytes in parallel (a file's
// bytes depend only on its own seed, so the order of writing does not
// matter). Directories are made by the planner before any file in them is
// submitted.

type planner struct {
	o       options
	w       *writer
	made    map[string]bool // directories created (relative to OUT)
	samples []string        // shell samples to plant; empty: marker files
	planted [][2]string     // path relative to OUT, source

	// per user
	u        int
	user     string
	uroot    string          // home/userNNNN
	files    map[string]bool // files of this user (relative to OUT)
	webDirs  []string        // this user's directories under public_html
	ctr      uint64          // per-user counter for unique seeds
	nextShel int             // next sample to plant (cycles)
}

// Second-site mount points (public_html/<name>).
var subNames = []string{"blog", "shop", "forum", "wiki", "old", "dev", "test", "new", "site", "cms", "portal", "beta", "staging", "store", "news"}

var customDirs = []string{"includes", "inc", "lib", "custom", "scripts", "api", "admin/inc", "backup", "classes", "ajax"}

var shellNames = []string{
	"wp-info.php", "cache.php", "db.php", "config.bak.php", "about.php", "{w}.php", "{w}{n}.php", ".{w}.php",
	"wp-{w}.php", "index2.php", "upload.php", "admin-{w}.php", "class-{w}.php", "{w}.phtml", "{w}.inc.php",
	"thumb.php", "mailer.php", "{w}-{w}.php",
}

func (p *planner) mkdir(rel string) {
	if p.made[rel] {
		return
	}
	if parent := path.Dir(rel); parent != "." && parent != "/" {
		p.mkdir(parent)
	}
	if err := os.Mkdir(filepath.Join(p.o.out, rel), 0o755); err != nil && !os.IsExist(err) {
		p.w.fail(err)
	}
	p.made[rel] = true
	if strings.HasPrefix(rel, p.uroot+"/public_html") {
		p.webDirs = append(p.webDirs, rel)
	}
}

// free returns rel, or rel with a number added if this user already has it.
func (p *planner) free(rel string) string {
	if !p.files[rel] {
		return rel
	}
	dir, base := path.Split(rel)
	ext := ""
	if dot := strings.LastIndexByte(base, '.'); dot > 0 {
		base, ext = base[:dot], base[dot:]
	}
	for i := 2; ; i++ {
		c := dir + base + "-" + strconv.Itoa(i) + ext
		if !p.files[c] {
			return c
		}
	}
}

func (p *planner) submit(rel string, j job) {
	rel = p.free(rel)
	p.files[rel] = true
	p.mkdir(path.Dir(rel))
	j.path = filepath.Join(p.o.out, rel)
	p.w.submit(j)
}

func (p *planner) emit(rel string, k kind, size int, seed uint64) {
	p.submit(rel, job{k: k, size: size, seed: seed, aux: p.user})
}

// unique emits a file whose content no other file shares.
func (p *planner) unique(rel string, k kind) {
	p.ctr++
	s := seedOf(p.o.seed, 'X', uint64(p.u), p.ctr)
	size := newRNG(s).sizeFrom(sizesFor(k, p.o.small))
	p.emit(rel, k, size, s)
}

func (p *planner) startUser(u int) {
	p.u = u
	p.user = "user" + pad4(u+1)
	p.uroot = "home/" + p.user
	p.files = map[string]bool{}
	p.webDirs = nil
	p.ctr = 0
	p.made = map[string]bool{"home": true}
	p.mkdir(p.uroot + "/public_html")
}

func pad4(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// shellsPerUser spreads the planted shells over users.
func (p *planner) shellsPerUser() []int {
	n := make([]int, p.o.users)
	r := newRNG(seedOf(p.o.seed, 'P'))
	for i := 0; i < p.o.shells; i++ {
		n[r.intn(p.o.users)]++
	}
	return n
}

func (p *planner) plant(count int) {
	if count == 0 || len(p.webDirs) == 0 {
		return
	}
	r := newRNG(seedOf(p.o.seed, 'p', uint64(p.u)))
	for i := 0; i < count; i++ {
		dir := pick(r, p.webDirs)
		name := pick(r, shellNames)
		name = strings.Replace(name, "{n}", strconv.Itoa(r.between(1, 99)), 1)
		name = expand(r, name)
		rel := p.free(dir + "/" + name)
		if len(p.samples) > 0 {
			src := p.samples[p.nextShel%len(p.samples)]
			p.nextShel++
			p.submit(rel, job{k: kCopy, src: src})
			p.planted = append(p.planted, [2]string{rel, filepath.Base(src)})
		} else {
			p.submit(rel, job{k: kMarker, seed: seedOf(p.o.seed, 'M', uint64(p.u), uint64(i))})
			p.planted = append(p.planted, [2]string{rel, "marker"})
		}
	}
}

// userFiles adds n files only this user has.
func (p *planner) userFiles(r *rng, n int) {
	web := p.uroot + "/public_html"
	nphp := n * 35 / 100
	nnoise := n * 35 / 100
	nmail := n * 25 / 100
	nlog := n - nphp - nnoise - nmail

	dirs := []string{pick(r, customDirs)}
	for i := r.between(0, 2); i > 0; i-- {
		dirs = append(dirs, pick(r, customDirs))
	}
	for i := 0; i < nphp; i++ {
		d := web + "/" + dirs[i%len(dirs)]
		if nphp > 300 {
			d += "/part" + strconv.Itoa(i/150)
		}
		style := r.intn(4)
		p.unique(d+"/"+fileName(r, kPHP, style), kPHP)
	}
	for i := 0; i < nnoise; i++ {
		var k kind
		var d string
		switch x := r.intn(100); {
		case x < 20:
			k, d = kJPG, web+"/images"
		case x < 40:
			k, d = kPNG, web+"/images"
		case x < 60:
			k, d = kCSS, web+"/css"
		case x < 85:
			k, d = kJS, web+"/js"
		default:
			k, d = kTXT, web+"/docs"
		}
		if nnoise > 500 {
			d += "/part" + strconv.Itoa(i/150)
		}
		p.unique(d+"/"+fileName(r, k, 0), k)
	}
	domain := p.user + ".example.com"
	for i := 0; i < nmail; i++ {
		box := []string{"info", "admin", "sales", "support"}[r.weighted([]int{60, 20, 10, 10})]
		md := p.uroot + "/mail/" + domain + "/" + box
		p.mkdir(md + "/tmp")
		ts := strconv.Itoa(1600000000 + r.intn(100000000))
		name := ts + ".M" + strconv.Itoa(r.intn(1000000)) + "P" + strconv.Itoa(r.between(1000, 99999)) + ".server.example.com"
		sub := "/cur/"
		if r.pct(20) {
			sub = "/new/"
		} else {
			name += ",S=" + strconv.Itoa(r.between(1000, 90000)) + ":2,S"
		}
		p.unique(md+sub+name, kMail)
	}
	for i := 0; i < nlog; i++ {
		if i == 0 {
			p.unique(web+"/error_log", kLog)
			continue
		}
		p.unique(p.uroot+"/logs/"+domain+"-"+pick(r, months)+"-"+strconv.Itoa(i)+".log", kLog)
	}
	if !p.files[web+"/.htaccess"] {
		p.unique(web+"/.htaccess", kHtaccess)
	}
}

// instanceExtras adds what every installed copy of an application has of
// its own: configuration, uploads, caches, logs.
func (p *planner) instanceExtras(r *rng, fam, root string) {
	switch fam {
	case "wordpress":
		p.unique(root+"/wp-config.php", kConfig)
		if !p.files[root+"/.htaccess"] {
			p.unique(root+"/.htaccess", kHtaccess)
		}
		for m := r.between(1, 3); m > 0; m-- {
			d := root + "/wp-content/uploads/20" + strconv.Itoa(r.between(18, 24)) + "/" + pad4(r.between(1, 12))[2:]
			for i := r.between(1, 6); i > 0; i-- {
				p.unique(d+"/"+fileName(r, kJPG, 0), kJPG)
			}
		}
		for i := r.between(0, 3); i > 0; i-- {
			p.unique(root+"/wp-content/cache/"+pick(r, words)+"/"+fileName(r, kPHP, 3), kPHP)
		}
		if r.pct(30) {
			p.unique(root+"/error_log", kLog)
		}
	case "joomla":
		p.unique(root+"/configuration.php", kConfig)
		p.unique(root+"/.htaccess", kHtaccess)
		for i := r.between(1, 8); i > 0; i-- {
			p.unique(root+"/images/"+pick(r, words)+"/"+fileName(r, kJPG, 0), kJPG)
		}
		for i := r.between(0, 3); i > 0; i-- {
			p.unique(root+"/cache/"+pick(r, words)+"/"+fileName(r, kPHP, 1), kPHP)
		}
		if r.pct(30) {
			p.unique(root+"/administrator/logs/error.php", kLog)
		}
	case "laravel":
		p.unique(root+"/.env.php", kConfig)
		for i := r.between(1, 6); i > 0; i-- {
			p.unique(root+"/storage/framework/views/"+strconv.FormatUint(r.u64(), 16)+".php", kPHP)
		}
		p.unique(root+"/storage/logs/laravel.log", kLog)
	default:
		if r.pct(50) {
			p.unique(root+"/config.local.php", kConfig)
		}
		if r.pct(30) {
			p.unique(root+"/error_log", kLog)
		}
	}
}

const extrasPerInstance = 8 // about how many files instanceExtras adds

func (p *planner) planSynthetic() {
	o := p.o
	perUser := max(10, o.files/o.users)
	meanT := max(20, perUser*70/100*100/155)
	ts := buildTemplates(o.seed, meanT, o.small)
	tw := templateWeights(ts)

	type inst struct {
		t     int
		mount string
	}
	cr := newRNG(seedOf(o.seed, 'C'))
	choices := make([][]inst, o.users)
	instFiles := 0
	for u := range choices {
		n := 1 + []int{0, 1, 2}[cr.weighted([]int{55, 35, 10})]
		subs := append([]string(nil), subNames...)
		for i := 0; i < n; i++ {
			t := cr.weighted(tw)
			mount := ""
			if i > 0 {
				j := cr.intn(len(subs))
				mount = "/" + subs[j]
				subs = append(subs[:j], subs[j+1:]...)
			}
			choices[u] = append(choices[u], inst{t, mount})
			instFiles += len(ts[t].files) + extrasPerInstance
		}
	}
	rest := max(o.files-instFiles, 5*o.users)
	spu := p.shellsPerUser()
	for u := 0; u < o.users && !p.w.stopped(); u++ {
		p.startUser(u)
		ur := newRNG(seedOf(o.seed, 'U', uint64(u)))
		for _, in := range choices[u] {
			root := p.uroot + "/public_html" + in.mount
			for _, f := range ts[in.t].files {
				p.emit(root+"/"+f.rel, f.k, f.size, f.seed)
			}
			p.instanceExtras(ur, families[ts[in.t].family].name, root)
		}
		p.userFiles(ur, rest/o.users*ur.between(50, 150)/100)
		p.plant(spu[u])
	}
}

func (p *planner) planReal(apps []realApp) {
	o := p.o
	var sites, libs []int
	var siteW []int
	wp := -1
	for i, a := range apps {
		if a.library {
			libs = append(libs, i)
			continue
		}
		sites = append(sites, i)
		w := 1
		switch a.name {
		case "wordpress":
			w, wp = 6, i
		case "phpmyadmin":
			w = 2
		}
		siteW = append(siteW, w)
	}
	type inst struct {
		a     int
		mount string
	}
	cr := newRNG(seedOf(o.seed, 'R'))
	choices := make([][]inst, o.users)
	realFiles := 0
	for u := range choices {
		subs := append([]string(nil), subNames...)
		takeSub := func() string {
			j := cr.intn(len(subs))
			s := subs[j]
			subs = append(subs[:j], subs[j+1:]...)
			return "/" + s
		}
		if len(sites) > 0 {
			var main int
			if wp >= 0 && cr.pct(70) {
				main = wp
			} else {
				main = sites[cr.weighted(siteW)]
			}
			choices[u] = append(choices[u], inst{main, ""})
			for i := []int{0, 1, 2}[cr.weighted([]int{45, 40, 15})]; i > 0; i-- {
				choices[u] = append(choices[u], inst{sites[cr.weighted(siteW)], takeSub()})
			}
		}
		if len(libs) > 0 {
			nl := cr.between(0, 3)
			if len(sites) == 0 {
				nl = cr.between(1, 4)
			}
			used := map[int]bool{}
			for i := 0; i < nl; i++ {
				l := libs[cr.intn(len(libs))]
				if used[l] {
					continue
				}
				used[l] = true
				choices[u] = append(choices[u], inst{l, "/vendor/" + apps[l].name})
			}
		}
		for _, in := range choices[u] {
			realFiles += len(apps[in.a].files)
		}
	}
	perUser := o.unique
	if o.filesSet {
		perUser = max(10, (o.files-realFiles)/o.users)
	}
	spu := p.shellsPerUser()
	for u := 0; u < o.users && !p.w.stopped(); u++ {
		p.startUser(u)
		ur := newRNG(seedOf(o.seed, 'U', uint64(u)))
		for _, in := range choices[u] {
			a := &apps[in.a]
			root := p.uroot + "/public_html" + in.mount
			for _, f := range a.files {
				p.submit(root+"/"+f.rel, job{k: kCopy, src: f.src})
			}
			if !a.library {
				site := root
				if a.siteRoot != "" {
					site += "/" + a.siteRoot
				}
				p.instanceExtras(ur, a.name, site)
			}
		}
		p.userFiles(ur, perUser*ur.between(50, 150)/100)
		p.plant(spu[u])
	}
}
