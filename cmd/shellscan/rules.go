package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spamgear/spamgear/detect"
	"github.com/spamgear/spamgear/matcher"
	"github.com/spamgear/spamgear/signatures"
)

func newRulesCommand(e *env) *cobra.Command {
	o := &ruleOptions{}
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, check and export the loaded rules",
		Args:  cobra.NoArgs,
	}
	o.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "Print one line per rule: ID, engine, category (or signal(WEIGHT), or marker), kinds, signature name",
		Args:  cobra.NoArgs,
		RunE: withRules(o, func(set *signatures.Set) error {
			w := bufio.NewWriter(e.stdout)
			d, err := detect.New(nil, o.detectOptions(false))
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			for _, r := range append(set.Rules(), d.Rules()...) {
				class := r.Category.String()
				switch {
				case r.Marker:
					class = "marker"
				case r.Weight > 0:
					class = fmt.Sprintf("signal(%d)", r.Weight)
				case r == detect.ScoreRule:
					class += "(score)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Engine, class, r.Kinds, r.Name)
			}
			return w.Flush()
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Load the rules, print the set's version and counts; exit 2 with FILE:LINE on a bad file",
		Args:  cobra.NoArgs,
		RunE: withRules(o, func(set *signatures.Set) error {
			st := matcher.New(set, matcher.Options{}).Stats()
			for _, s := range set.Sources() {
				fmt.Fprintf(e.stdout, "%s (%s): %d rules\n", s.Name, s.Format, s.Rules)
			}
			fmt.Fprintf(e.stdout, "version %s: %d rules, %d distinct literals (%d in the automaton with %d states, sampler bands %v with strides %v), %d rules without literals\n",
				set.Version(), set.Len(), st.Literals, st.Literals-sum(st.SamplerLiterals), st.DFAStates, st.SamplerLiterals, st.SamplerSteps, st.AlwaysRules)
			return nil
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "literals",
		Short: "Print every prefilter literal, one per line (case-insensitive ones lower-cased), e.g. for rg -F -f",
		Args:  cobra.NoArgs,
		RunE: withRules(o, func(set *signatures.Set) error {
			w := bufio.NewWriter(e.stdout)
			seen := map[string]bool{}
			for _, r := range set.Rules() {
				for _, l := range r.Literals {
					text := string(l.Text)
					if l.NoCase {
						text = string(signatures.FoldASCII(l.Text))
					}
					if seen[text] || strings.ContainsAny(text, "\n\r") {
						continue
					}
					seen[text] = true
					fmt.Fprintln(w, text)
				}
			}
			return w.Flush()
		}),
	})
	return cmd
}

// withRules loads the rule set for a subcommand; a bad rule file is a
// configuration error (exit 2).
func withRules(o *ruleOptions, run func(*signatures.Set) error) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		set, err := o.load()
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		return run(set)
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
