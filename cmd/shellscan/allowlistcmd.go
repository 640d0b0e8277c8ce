package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/allowlist"
)

// allowlistName is the allowlist read from --data-dir when it exists.
const allowlistName = "allowlist.sha256"

// loadAllowlist reads --allowlist, or DATA_DIR/allowlist.sha256 when it
// exists; nil when there is none.
func loadAllowlist(path, dataDir string) (*allowlist.List, error) {
	if path == "" {
		if dataDir == "" {
			return nil, nil
		}
		path = filepath.Join(dataDir, allowlistName)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	l, err := allowlist.Load(path)
	if err != nil {
		return nil, usageErrorf("allowlist: %v", err)
	}
	return l, nil
}

const allowlistLong = `allowlist build lists the SHA-256 sums of every file under DIR, a tree you
trust (an unpacked WordPress or phpMyAdmin release, say), in sha256sum's
format. A scan never matches or flags a file whose content is listed: put the
list in DATA_DIR/` + allowlistName + ` (default /var/lib/shellscan), or give it with
--allowlist. Lists from several releases can be concatenated; any sha256sum
output works too.`

func newAllowlistCommand(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "allowlist",
		Short: "Build lists of known-good files that scans skip",
	}
	build := &cobra.Command{
		Use:     "build DIR [-o FILE]",
		Short:   "List the SHA-256 sums of a trusted tree",
		Long:    allowlistLong,
		Example: "  shellscan allowlist build /tmp/wordpress-6.7 -o /var/lib/shellscan/allowlist.sha256\n  shellscan allowlist build /usr/share/wordpress >> /var/lib/shellscan/allowlist.sha256",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := e.stdout
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return usageErrorf("-o: %v", err)
				}
				defer f.Close()
				w = f
			}
			n, err := allowlist.Build(args[0], w)
			if err != nil {
				return &exitError{code: exitIncomplete, err: fmt.Errorf("allowlist build: %w", err)}
			}
			fmt.Fprintf(e.stderr, "shellscan: %d files listed\n", n)
			return nil
		},
	}
	build.Flags().StringVarP(&out, "output", "o", "", "write the list to `FILE` instead of standard output")
	cmd.AddCommand(build)
	return cmd
}
