package reports

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The durability test runs the appliance's side — an outbox, its sender,
// and a parent adding manual reports — in a child process, and kills it
// with SIGKILL at random points, over and over. What the child said was
// saved must reach the helpline, and exactly once, however the kills fell:
// between the commit and the "saved", between sealing and sending, between
// the helpline storing a batch and the appliance hearing so.
//
// AMANE_DURABILITY_KILLS sets the number of kills (default 200).

const childEnv = "AMANE_OUTBOX_CHILD"

func TestOutboxSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the appliance 200 times")
	}
	kills := 200
	if s := os.Getenv("AMANE_DURABILITY_KILLS"); s != "" {
		kills, _ = strconv.Atoi(s)
	}
	in, srv := obNewIntake(t)
	dir := t.TempDir()
	saved := map[string]bool{}
	// Half the runs start the clock when the child starts (kills in the
	// open and the first commit), half at its first saved report (kills
	// while adding and sending), so every other run saves something
	// however slow a loaded machine is.
	run := func(mode string, killAfter time.Duration, fromFirstSave bool) {
		clockAt := "started"
		if fromFirstSave {
			clockAt = "saved "
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestOutboxChild$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"="+mode, "AMANE_OUTBOX_DIR="+dir, "AMANE_OUTBOX_URL="+srv.URL)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var timer *time.Timer
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if timer == nil && killAfter > 0 && strings.HasPrefix(sc.Text(), clockAt) {
				timer = time.AfterFunc(killAfter, func() { cmd.Process.Kill() })
			}
			if note, ok := strings.CutPrefix(sc.Text(), "saved "); ok {
				saved[note] = true
			}
		}
		err = cmd.Wait()
		if timer != nil {
			timer.Stop()
		}
		if killAfter == 0 && err != nil {
			t.Fatalf("the drain run failed: %v", err)
		}
	}
	for i := range kills {
		run(fmt.Sprintf("add:%d", i), time.Duration(rand.N(30_000))*time.Microsecond+time.Microsecond, i%2 == 0)
	}
	run("drain", 0, false)

	got := map[string]int{}
	for _, r := range in.reports() {
		got[r.Note]++
	}
	for note := range saved {
		if got[note] == 0 {
			t.Errorf("report %q was saved but never reached the helpline", note)
		}
	}
	for note, n := range got {
		if n > 1 {
			t.Errorf("report %q stored %d times at the helpline", note, n)
		}
	}
	t.Logf("%d kills: %d reports said saved, %d delivered (the rest were committed just before a kill), %d batches, %d posts",
		kills, len(saved), len(got), len(in.batches), in.posts)
	if len(saved) < kills/4 {
		t.Fatalf("only %d reports saved in %d runs: the test did not exercise the outbox", len(saved), kills)
	}
}

// TestOutboxChild is the child process of TestOutboxSurvivesKill9.
func TestOutboxChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("run by TestOutboxSurvivesKill9")
	}
	dir, url := os.Getenv("AMANE_OUTBOX_DIR"), os.Getenv("AMANE_OUTBOX_URL")
	fmt.Println("started")
	db, err := bolt.Open(filepath.Join(dir, "amane.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o, err := OpenOutbox(db, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &Sender{Outbox: o, URL: url, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Idle: time.Millisecond}
	go s.Run(ctx)
	if mode == "drain" {
		for {
			st, err := o.Status()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Manual) == 0 && len(st.Batches) == 0 {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	run := strings.TrimPrefix(mode, "add:")
	for i := 0; ; i++ {
		note := fmt.Sprintf("run %s report %d", run, i)
		if err := o.Add(obManual("bad.example", note)); err != nil {
			t.Fatal(err)
		}
		fmt.Println("saved " + note)
	}
}
