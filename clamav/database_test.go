package clamav

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReadDatabases(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	os.Mkdir(db, 0o755)
	conf := filepath.Join(dir, "clamd.conf")
	os.WriteFile(conf, []byte("# test\nDatabaseDirectory "+db+"\n"), 0o644)
	os.WriteFile(filepath.Join(db, "a.ndb"), []byte("A:0:*:41414141\n\n# c\nB:0:*:42424242\n"), 0o644)
	os.WriteFile(filepath.Join(db, "main.cvd"), []byte("ClamAV-VDB:..."), 0o644)
	os.WriteFile(filepath.Join(db, "notes.txt"), []byte("x"), 0o644)
	d, err := ReadDatabases(conf)
	if err != nil {
		t.Fatal(err)
	}
	if d.Dir != db || d.Signatures != 2 || d.CVDs != 1 || len(d.Files) != 2 || d.Fingerprint == "" {
		t.Fatalf("%+v", d)
	}
	// A rewritten database changes the fingerprint.
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(db, "a.ndb"), later, later)
	d2, _ := ReadDatabases(conf)
	if d2.Fingerprint == d.Fingerprint {
		t.Error("fingerprint did not change")
	}
	if _, err := ReadDatabases(filepath.Join(dir, "none.conf")); err == nil {
		t.Log("default database directory exists here")
	}
}
