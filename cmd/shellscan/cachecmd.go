package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/cache"
)

// cacheOptions are the options of the cache subcommands.
type cacheOptions struct {
	path string
	wait time.Duration
}

func newCacheCommand(e *env) *cobra.Command {
	o := &cacheOptions{}
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Inspect and prune the verdict cache",
		Args:  cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&o.path, "cache", e.cachePath, "verdict cache `FILE`")
	cmd.PersistentFlags().DurationVar(&o.wait, "cache-wait", cache.DefaultLockWait, "how long to wait for a shellscan using the cache")
	cmd.AddCommand(&cobra.Command{
		Use:   "stats",
		Short: "Print the cache's size, entries and the last complete scan of each root",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return o.with(func(c *cache.Cache) error {
				st, err := c.Stats()
				if err != nil {
					return err
				}
				perFile := int64(0)
				if st.Files > 0 {
					perFile = st.SizeBytes / int64(st.Files)
				}
				fmt.Fprintf(e.stdout, "cache %s: %d bytes, %d files (%d bytes per file), %d contents\n",
					st.Path, st.SizeBytes, st.Files, perFile, st.Content)
				roots := make([]string, 0, len(st.Roots))
				for r := range st.Roots {
					roots = append(roots, r)
				}
				sort.Strings(roots)
				for _, r := range roots {
					rs := st.Roots[r]
					fmt.Fprintf(e.stdout, "root %s: last complete scan %s, took %s, %d files\n",
						r, rs.Start.Format(time.RFC3339), rs.End.Sub(rs.Start).Round(time.Millisecond), rs.Files)
				}
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "prune",
		Short: "Remove the entries of files that no longer exist",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return o.with(func(c *cache.Cache) error {
				n, err := c.Prune(func(p string) bool {
					_, err := os.Lstat(p)
					return !errors.Is(err, fs.ErrNotExist)
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "pruned %d entries of files that no longer exist\n", n)
				return nil
			})
		},
	})
	return cmd
}

// with opens the cache for a subcommand; a cache in use is exit 2.
func (o *cacheOptions) with(run func(*cache.Cache) error) error {
	c, err := cache.Open(o.path, cache.Options{LockWait: o.wait})
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if err := run(c); err != nil {
		c.Close()
		return &exitError{code: exitIncomplete, err: err}
	}
	return c.Close()
}
