package clamav

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultDatabaseDirectory is clamd's DatabaseDirectory unless its
// configuration says otherwise.
const DefaultDatabaseDirectory = "/var/lib/clamav"

// Databases describes the signature files a local clamd loads, read from
// its configuration's DatabaseDirectory.
type Databases struct {
	Dir   string
	Files []string // base names, sorted
	// Fingerprint changes whenever a database file is added, removed or
	// rewritten (names, sizes, mtimes): clamd's VERSION reply does not
	// change with third-party or custom databases.
	Fingerprint string
	// Signatures counts the lines of text databases (.ndb, .hdb, .ldb,
	// ...); signed .cvd/.cld containers are not opened (see CVDs).
	Signatures int
	CVDs       int // .cvd/.cld/.cud containers
}

// dbExt are the database file extensions clamd loads.
var dbExt = map[string]bool{
	".cvd": true, ".cld": true, ".cud": true, ".ndb": true, ".ndu": true, ".hdb": true, ".hsb": true,
	".hdu": true, ".hsu": true, ".mdb": true, ".mdu": true, ".msb": true, ".msu": true, ".ldb": true,
	".ldu": true, ".db": true, ".ftm": true, ".cdb": true, ".cat": true, ".crb": true, ".idb": true,
	".ign": true, ".ign2": true, ".fp": true, ".sfp": true, ".pdb": true, ".gdb": true, ".wdb": true,
	".yar": true, ".yara": true, ".cbc": true, ".info": true, ".pwdb": true,
}

// ReadDatabases reads clamd.conf at confPath (DefaultConfigPath when
// empty) for DatabaseDirectory and lists its databases.
func ReadDatabases(confPath string) (Databases, error) {
	if confPath == "" {
		confPath = DefaultConfigPath
	}
	d := Databases{Dir: DefaultDatabaseDirectory}
	if f, err := os.Open(confPath); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && strings.EqualFold(fs[0], "DatabaseDirectory") {
				d.Dir = fs[1]
			}
		}
		f.Close()
	}
	ents, err := os.ReadDir(d.Dir)
	if err != nil {
		return d, fmt.Errorf("clamd databases: %w", err)
	}
	h := sha256.New()
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !dbExt[ext] || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		d.Files = append(d.Files, e.Name())
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
		switch ext {
		case ".cvd", ".cld", ".cud":
			d.CVDs++
		case ".ign", ".ign2", ".fp", ".sfp", ".info", ".cfg":
		default:
			d.Signatures += countLines(filepath.Join(d.Dir, e.Name()))
		}
	}
	sort.Strings(d.Files)
	d.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
	return d, nil
}

// countLines counts non-empty, non-comment lines.
func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && l[0] != '#' {
			n++
		}
	}
	return n
}
