package decode

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDirs hold real malicious samples (read-only, outside the repo). The
// test logs what Layers finds there; it asserts only safety: no panic and
// the budget respected.
var corpusDirs = []string{
	"/work/shared/corpus/malicious/pmf",
	"/work/shared/corpus/malicious/bartblaze",
}

func TestCorpusSanity(t *testing.T) {
	verbose := os.Getenv("DECODE_CORPUS_VERBOSE") != ""
	for _, dir := range corpusDirs {
		if _, err := os.Stat(dir); err != nil {
			t.Logf("skip %s: %v", dir, err)
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			files, withLayers := 0, 0
			chains := map[string]int{}
			b := Budget{}.withDefaults()
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() || strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".json") {
					return nil
				}
				buf, err := os.ReadFile(p)
				if err != nil {
					return nil
				}
				files++
				layers := Layers(buf, Budget{})
				checkBudget(t, p, layers, b)
				if len(layers) > 0 {
					withLayers++
				}
				for _, l := range layers {
					chains[strings.Join(l.Chain, ">")]++
					if verbose {
						t.Logf("%s: %v (%d bytes) %q", filepath.Base(p), l.Chain, len(l.Data), head(l.Data, 160))
					}
				}
				return nil
			})
			t.Logf("%s: %d of %d files yield at least one layer", dir, withLayers, files)
			type kv struct {
				k string
				n int
			}
			var list []kv
			for k, n := range chains {
				list = append(list, kv{k, n})
			}
			sort.Slice(list, func(i, j int) bool { return list[i].n > list[j].n || list[i].n == list[j].n && list[i].k < list[j].k })
			for i, e := range list {
				if i == 25 {
					t.Logf("  ... %d more chains", len(list)-i)
					break
				}
				t.Logf("  %4d × %s", e.n, e.k)
			}
		})
	}
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// checkBudget asserts the invariants every call of Layers keeps.
func checkBudget(t testing.TB, name string, layers []Layer, b Budget) {
	t.Helper()
	b = b.withDefaults()
	total := 0
	for _, l := range layers {
		total += len(l.Data)
		if len(l.Chain) == 0 || len(l.Chain) > MaxChain(b) {
			t.Errorf("%s: chain length %d out of (0, %d]: %v", name, len(l.Chain), MaxChain(b), l.Chain)
		}
		if len(l.Data) == 0 {
			t.Errorf("%s: empty layer %v", name, l.Chain)
		}
	}
	if total > b.MaxBytes {
		t.Errorf("%s: %d output bytes > MaxBytes %d", name, total, b.MaxBytes)
	}
	if len(layers) > b.MaxLayers {
		t.Errorf("%s: %d layers > MaxLayers %d", name, len(layers), b.MaxLayers)
	}
}
