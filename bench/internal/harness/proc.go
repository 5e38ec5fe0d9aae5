// Package harness starts and watches the servers of the load test and the
// conformance test: pinned child processes that die with the harness,
// readiness by query, /proc figures, and each peer's configuration.
package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It is
// 100 on every Linux architecture Go supports (getconf CLK_TCK).
const clockTicks = 100

// Child is a server process started by the harness, with its output in
// LogPath. It runs in its own process group, so that a Ctrl-C in the
// terminal reaches only the harness, which then stops it in order.
//
// It runs under a small shell, the lifeline, that kills it when the harness's
// end of the shell's stdin closes: whenever the harness exits, even by
// SIGKILL. Pdeathsig alone is not enough, since the kernel clears it when a
// process changes its credentials, as dnsmasq does when it drops
// capabilities.
type Child struct {
	Name    string
	LogPath string    // the server's stdout and stderr
	Started time.Time // just before the process was started

	cmd       *exec.Cmd     // the lifeline shell
	serverPID int           // the server itself, the lifeline's child
	lifeline  io.Closer     // closing it kills the server
	exited    chan struct{} // closed when the server has exited and the shell has been reaped
	err       error         // the exit status; read only after exited is closed
}

// lifelineScript starts "$@", prints its PID on fd 3, and kills it when
// stdin reaches its end. A background list in sh reads /dev/null unless
// redirected, hence the copy of stdin on fd 5.
const lifelineScript = `exec 5<&0
"$@" </dev/null 3>&- 5<&- &
pid=$!
echo "$pid" >&3
exec 3>&-
{ read -r _ <&5; kill -TERM "$pid" 2>/dev/null; } &
exec 5<&-
wait "$pid"`

// PinnedCommand returns a command that runs argv pinned to cpu with taskset,
// which execs argv so the process keeps taskset's PID; with cpu "", argv runs
// where the scheduler puts it. The end of ctx kills the command's process
// group. The command is killed if the harness exits first.
func PinnedCommand(ctx context.Context, cpu string, argv ...string) *exec.Cmd {
	if cpu != "" {
		argv = append([]string{"taskset", "-c", cpu}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// StartChild starts argv pinned to cpu under the lifeline, logging to
// dir/name.log.
func StartChild(name, dir, cpu string, argv ...string) (*Child, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating log for %s: %w", name, err)
	}
	defer logFile.Close() // the child holds its own descriptor
	pidR, pidW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pidR.Close()
	shArgs := append([]string{"sh", "-c", lifelineScript, "sh"}, argv...)
	c := &Child{Name: name, cmd: PinnedCommand(context.Background(), cpu, shArgs...), LogPath: logPath, exited: make(chan struct{})}
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.ExtraFiles = []*os.File{pidW} // fd 3
	if c.lifeline, err = c.cmd.StdinPipe(); err != nil {
		pidW.Close()
		return nil, err
	}
	c.Started = time.Now()
	err = c.cmd.Start()
	pidW.Close()
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	// The shell writes the PID at once; EOF without it means it failed.
	line, _ := bufio.NewReader(pidR).ReadString('\n') // a short read leaves no number: Atoi says so
	if c.serverPID, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
		c.Stop()
		return nil, fmt.Errorf("starting %s: no PID from the lifeline: %w", name, err)
	}
	return c, nil
}

// PID is the server's PID.
func (c *Child) PID() int { return c.serverPID }

// Exited is closed when the server has exited.
func (c *Child) Exited() <-chan struct{} { return c.exited }

// Alive reports whether the process has not exited.
func (c *Child) Alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM to the server, and SIGKILL to its whole process group if
// it has not exited within five seconds. Only the server gets the SIGTERM:
// the shell must live to see it exit, so that stop returns when it has.
func (c *Child) Stop() {
	defer c.lifeline.Close()
	if !c.Alive() {
		return
	}
	if c.serverPID <= 0 {
		// The lifeline never told the PID (StartChild's error path):
		// kill(0) would signal the harness's own process group.
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
		return
	}
	syscall.Kill(c.serverPID, syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
	}
}

// ExitError describes how the process ended, with the tail of its log.
func (c *Child) ExitError() error {
	b, _ := os.ReadFile(c.LogPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines = lines[max(0, len(lines)-5):]
	return fmt.Errorf("%s exited (%v); end of %s:\n\t%s", c.Name, c.err, c.LogPath, strings.Join(lines, "\n\t"))
}

// CPUTime returns the user plus system CPU time the process has used, its
// threads (dead or alive) included.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[14-3], 10, 64)
	stime, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// Memory returns VmRSS and VmHWM (peak RSS) of the process, in bytes.
func Memory(pid int) (rss, hwm int64, err error) {
	v, err := status(pid, "VmRSS", "VmHWM")
	return v[0], v[1], err
}

// Anonymous returns RssAnon of the process, in bytes: the part of its RSS
// that is its own (heap, stacks), which the kernel can only reclaim by
// swapping, against RssFile, the pages of its program and of the files it
// maps, which the kernel can drop and read again.
func Anonymous(pid int) (int64, error) {
	v, err := status(pid, "RssAnon")
	return v[0], err
}

// status reads the fields named keys (in kB) of /proc/PID/status, in
// bytes, in the order of keys. A field missing from the file is an error.
func status(pid int, keys ...string) ([]int64, error) {
	vs := make([]int64, len(keys))
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return vs, err
	}
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		i := slices.Index(keys, k)
		if !ok || i < 0 {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return vs, fmt.Errorf("parsing %s: %w", k, err)
		}
		vs[i] = kb << 10
		found++
	}
	if found < len(keys) {
		return vs, fmt.Errorf("/proc/%d/status lacks one of %v", pid, keys)
	}
	return vs, nil
}

// CPUBusy returns the time CPU cpu (a number, as for taskset) has spent on
// anything but idling since boot, from /proc/stat. Over a run, its growth
// minus the server's own CPU time is what other processes took from the
// server's CPU: on a shared machine, a sign that the run is disturbed.
func CPUBusy(cpu string) (time.Duration, error) {
	f, err := cpuStat(cpu)
	if err != nil {
		return 0, err
	}
	// user nice system idle iowait irq softirq steal: all but idle and iowait.
	return f[0] + f[1] + f[2] + f[5] + f[6] + f[7], nil
}

// CPUSteal returns the time the host has taken CPU cpu from this machine
// since boot (steal, in a virtual machine): time in which whatever ran on
// that CPU stood still, so a latency measured across it is the host's, not
// the server's.
func CPUSteal(cpu string) (time.Duration, error) {
	f, err := cpuStat(cpu)
	if err != nil {
		return 0, err
	}
	return f[7], nil
}

// cpuStat returns the first eight times of cpu's line of /proc/stat: user,
// nice, system, idle, iowait, irq, softirq, steal.
func cpuStat(cpu string) ([8]time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return [8]time.Duration{}, err
	}
	return parseCPUStat(string(b), cpu)
}

func parseCPUStat(stat, cpu string) ([8]time.Duration, error) {
	var out [8]time.Duration
	for _, line := range strings.Split(stat, "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != "cpu"+cpu {
			continue
		}
		for i := range out {
			v, err := strconv.ParseInt(f[i+1], 10, 64)
			if err != nil {
				return out, fmt.Errorf("parsing /proc/stat: %w", err)
			}
			out[i] = time.Duration(v) * time.Second / clockTicks
		}
		return out, nil
	}
	return out, fmt.Errorf("no cpu%s in /proc/stat", cpu)
}
