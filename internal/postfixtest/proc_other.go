//go:build !linux

package postfixtest

import (
	"os"
	"syscall"
)

// terminate is the signal that asks a daemon to shut down (Kill where there
// are no signals).
var terminate = os.Kill

func deathSignalAttr(bool) *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) { _ = p.Kill() }

func liveGroupMembers(int) []int { return nil }

// supported says whether this package can run its daemons here: it needs
// Linux (Pdeathsig, /proc, 127.0.0.0/8 on lo).
const supported = false
