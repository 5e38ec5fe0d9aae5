package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary a child of these tests instead of running
// them: "burn:DURATION" burns CPU for DURATION ("burn:forever" for ever),
// says "burnt" on stdout, then sleeps until killed; "stop-without-pid"
// stops a Child whose lifeline never told the server's PID.
const childEnv = "HARNESS_TEST_CHILD"

func TestMain(m *testing.M) {
	switch role := os.Getenv(childEnv); {
	case strings.HasPrefix(role, "burn:"):
		burn(strings.TrimPrefix(role, "burn:"))
	case role == "stop-without-pid":
		stopWithoutPID()
	default:
		os.Exit(m.Run())
	}
}

func burn(d string) {
	limit, err := time.ParseDuration(d)
	if d == "forever" {
		limit, err = time.Duration(1<<63-1), nil
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// CPU time, not wall time: on a loaded machine the spell still costs
	// what it says.
	for x := uint64(1); ; x = x*6364136223846793005 + 1 {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		if time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) >= limit {
			break
		}
		for range 100_000 {
			x = x*6364136223846793005 + 1
		}
	}
	fmt.Println("burnt")
	time.Sleep(time.Hour)
}

// startBurner starts the test binary as a child burning CPU for d.
func startBurner(t *testing.T, d string) *Child {
	t.Helper()
	t.Setenv(childEnv, "burn:"+d)
	c, err := StartChild("burner", t.TempDir(), "", os.Args[0], "-test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

func TestWaitAtRestWaitsForTheEndOfABusySpell(t *testing.T) {
	const spell = 400 * time.Millisecond
	c := startBurner(t, spell.String())
	if _, err := WaitAtRest(context.Background(), c.PID(), RestQuiet, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The child says "burnt" once it has burnt all its CPU: at rest, it has.
	log, err := os.ReadFile(c.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "burnt") {
		t.Fatalf("WaitAtRest returned while the child was still burning CPU (its output: %q)", log)
	}
	// /proc truncates utime and stime to whole ticks each: two ticks less
	// than getrusage's figure at most.
	if cpu, err := CPUTime(c.PID()); err != nil || cpu < spell-2*time.Second/clockTicks {
		t.Fatalf("the child used %v of CPU (err %v), less than its spell of %v", cpu, err, spell)
	}
}

func TestWaitAtRestGivesUpOnAProcessThatNeverRests(t *testing.T) {
	c := startBurner(t, "forever")
	_, err := WaitAtRest(context.Background(), c.PID(), RestQuiet, 2*time.Second)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("WaitAtRest = %v on a process burning CPU, want ErrBusy", err)
	}
}

func TestWaitAtRestOnAProcessThatIsGone(t *testing.T) {
	c, err := StartChild("sleeper", t.TempDir(), "", "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if _, err := WaitAtRest(context.Background(), c.PID(), RestQuiet, time.Minute); err == nil || errors.Is(err, ErrBusy) {
		t.Fatalf("WaitAtRest = %v for a process that has exited, want an error reading it", err)
	}
}
