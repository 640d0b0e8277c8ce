// Package sigs holds spamgear's own default rules: TOML rule files embedded
// in the binary, so that a bare `shellscan DIR` is useful on a fresh machine.
//
// The rules describe techniques, not samples: request input reaching code or
// command execution, eval of decoded or encoded blobs, obfuscation idioms,
// and the banners and markers of well-known shells, uploaders and mailers.
// Every rule carries true- and false-positive snippets that are checked when
// the files are parsed.
//
// The binary embeds the rule files gzip-compressed (embedded/, made by
// go generate from the *.toml files here), so that shellscan does not find
// its own rules' snippets when it scans the directory it is installed in.
package sigs

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io"

	"github.com/spamgear/spamgear/signatures"
)

//go:generate go run gen_embedded.go

//go:embed embedded/*.toml.gz
var files embed.FS

// fileOrder is the fixed load order of the embedded rule files.
var fileOrder = []string{
	"exec.toml",
	"obfuscation.toml",
	"behaviour.toml",
	"markers.toml",
	"shells.toml",
}

// Sources returns the embedded default rule files, in a fixed order, as
// signatures.Source values named "embedded:FILE.toml".
func Sources() []signatures.Source {
	out := make([]signatures.Source, 0, len(fileOrder))
	for _, name := range fileOrder {
		data, err := readEmbedded(name)
		if err != nil {
			// The file list and the embedded copies are checked by the
			// package's tests; a missing file is a build mistake.
			panic("sigs: embedded rule file " + name + ": " + err.Error())
		}
		out = append(out, signatures.Source{Name: "embedded:" + name, Format: signatures.FormatTOML, Data: data})
	}
	return out
}

// readEmbedded returns the decompressed embedded copy of a rule file.
func readEmbedded(name string) ([]byte, error) {
	gz, err := files.ReadFile("embedded/" + name + ".gz")
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
