//go:build ignore

// gen_embedded compresses the rule files into embedded/, which the binary
// embeds: a shellscan binary holding the rules' test snippets in plain text
// would match its own rules when it scans the directory it is installed in.
//
//	go generate ./sigs
package main

import (
	"bytes"
	"compress/gzip"
	"log"
	"os"
	"path/filepath"
)

func main() {
	names, err := filepath.Glob("*.toml")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll("embedded", 0o755); err != nil {
		log.Fatal(err)
	}
	old, _ := filepath.Glob("embedded/*.toml.gz")
	for _, o := range old {
		os.Remove(o)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			log.Fatal(err)
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if _, err := zw.Write(data); err != nil {
			log.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("embedded", name+".gz"), b.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
