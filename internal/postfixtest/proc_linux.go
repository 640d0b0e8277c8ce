package postfixtest

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// terminate is the signal that asks a daemon to shut down.
var terminate = syscall.SIGTERM

// deathSignalAttr makes the kernel kill the daemon if the test process dies
// without running its cleanups (go test -timeout), and with setpgid puts it
// in a process group of its own.
func deathSignalAttr(setpgid bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: setpgid}
}

// killGroup sends SIGKILL to the process group the process leads.
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }

// liveGroupMembers returns the PIDs of the processes in process group pgid
// that are not zombies, read from /proc.
func liveGroupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// "pid (comm) state ppid pgrp ...": comm may hold spaces and parens.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// supported says whether this package can run its daemons here.
const supported = true
