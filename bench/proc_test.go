package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// rssKiB is the resident memory of a process (VmRSS).
func rssKiB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read status of %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// cpuTime is the CPU time a process's threads have used so far, in nanoseconds from
// /proc/PID/task/*/schedstat (utime and stime in /proc/PID/stat count 10 ms ticks, too
// coarse for a call that costs a few ms per second). Threads that ended are not counted:
// neither Go's nor baresip's threads end during a call.
func cpuTime(pid int) (time.Duration, error) {
	var total time.Duration
	err := eachTask(pid, "schedstat", func(f []string) error {
		ns, err := strconv.ParseInt(f[0], 10, 64)
		total += time.Duration(ns)
		return err
	})
	return total, err
}

// contextSwitches is how often a process's threads have gone to sleep and been woken
// (voluntary and involuntary switches summed over its threads): its wake-ups.
func contextSwitches(pid int) (int64, error) {
	var total int64
	err := eachTask(pid, "status", func(f []string) error {
		if len(f) == 2 && (f[0] == "voluntary_ctxt_switches:" || f[0] == "nonvoluntary_ctxt_switches:") {
			n, err := strconv.ParseInt(f[1], 10, 64)
			total += n
			return err
		}
		return nil
	})
	return total, err
}

// eachTask calls f with the fields of each line of /proc/PID/task/*/file.
func eachTask(pid int, file string, f func([]string) error) error {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return fmt.Errorf("threads of %d: %w", pid, err)
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/%s", pid, t.Name(), file))
		if err != nil {
			continue // the thread ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if fields := strings.Fields(line); len(fields) > 0 {
				if err := f(fields); err != nil {
					return fmt.Errorf("%s of %d: %w", file, pid, err)
				}
			}
		}
	}
	return nil
}
