package main

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a spinner with file and byte counts on stderr, shown only
// when stderr is a terminal (the library would write to a pipe too).
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(e *env, disabled bool) *progress {
	if disabled || !e.stderrIsTTY {
		return &progress{}
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("scanning"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("files"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
	)
	return &progress{bar: bar}
}

func (p *progress) add() {
	if p.bar != nil {
		_ = p.bar.Add64(1)
	}
}

func (p *progress) clear() {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
