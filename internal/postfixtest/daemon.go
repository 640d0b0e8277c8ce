package postfixtest

import (
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// daemon is a child process that leads its own process group: master calls
// setsid itself, Dovecot is started with Setpgid.
type daemon struct {
	name     string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited and been waited for
	err      error         // cmd.Wait's result, once exited is closed
	stopOnce sync.Once
}

// startDaemon starts cmd and a goroutine that waits for it.
func startDaemon(name string, cmd *exec.Cmd) (*daemon, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() { // the only waiter; ends when the daemon exits, at the latest at stop
		d.err = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// stop sends SIGTERM to the daemon (what "postfix stop" does to master;
// both daemons pass it on to their children), kills its process group when
// it has not exited within stopTimeout, and then makes sure no live process
// is left in the group. It is idempotent.
func (d *daemon) stop(t testing.TB) {
	d.stopOnce.Do(func() {
		pgid := d.cmd.Process.Pid
		_ = d.cmd.Process.Signal(terminate)
		timer := time.NewTimer(stopTimeout)
		defer timer.Stop()
		select {
		case <-d.exited:
		case <-timer.C:
			t.Logf("postfixtest: %s did not exit within %v of SIGTERM; killing its process group", d.name, stopTimeout)
			killGroup(d.cmd.Process)
			<-d.exited
		}
		// Children got SIGTERM from their leader and exit on their own;
		// give them the same time, then kill what is left.
		if pollUntil(stopTimeout, nil, func() bool { return len(liveGroupMembers(pgid)) == 0 }) != nil {
			t.Logf("postfixtest: %s left processes %v behind; killing them", d.name, liveGroupMembers(pgid))
			killGroup(d.cmd.Process)
		}
	})
}
