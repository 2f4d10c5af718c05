package jetstream_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// groupCommitChild runs in a child process (this test binary started again):
// 16 clients send commands through one engine with group commit and print
// "ok <command id>" only once the handler returned success, until killed.
func groupCommitChild(dir string) {
	srv, err := lrjs.StartEmbedded(lrjs.DefaultEmbeddedConfig(dir))
	if err != nil {
		panic(err)
	}
	nc, _ := srv.Connect()
	store, err := lrjs.Open(context.Background(), nc, lrjs.DefaultConfig())
	if err != nil {
		panic(err)
	}
	gcc := handling.DefaultGroupCommitConfig()
	gcc.MinBatch, gcc.MaxInFlight = 1, 1 // every group is one atomic batch
	gc, err := handling.NewGroupCommit(store, gcc)
	if err != nil {
		panic(err)
	}
	h, _ := handling.NewHandler(gc, handling.DefaultHandlerConfig())
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id := uuid.Must(uuid.NewV7())
				_, err := h.Handle(context.Background(), domain.CommandEnvelope{ID: id, Command: domain.DeployCapacity{
					Operator: "MAG", Province: "Pailin", Method: "MANUAL", Deminers: 10, From: events.MustDate("2021-01-01")}})
				if err != nil {
					continue
				}
				mu.Lock()
				fmt.Fprintf(out, "ok %s\n", id)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("LR_GROUPCOMMIT_CHILD"); dir != "" {
		groupCommitChild(dir)
		return
	}
	if n, ok := handling.CacheSizeFrom(os.Getenv); ok {
		handling.SetDefaultCacheSize(n) // CI runs the spine with a cache of 4
	}
	os.Exit(m.Run())
}

// A SIGKILL during grouped appends loses no acknowledged command: every
// command the clients saw "ok" for is in the history.
func TestGroupCommitSIGKILLLosesNoAcknowledgedCommand(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LR_GROUPCOMMIT_CHILD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []uuid.UUID
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(acked) < 1500 {
		if id, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
			acked = append(acked, uuid.MustParse(id))
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(acked) < 1500 {
		t.Fatalf("child acknowledged only %d commands", len(acked))
	}
	srv, err := lrjs.StartEmbedded(lrjs.DefaultEmbeddedConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, _ := srv.Connect()
	defer nc.Close()
	store, err := lrjs.Open(context.Background(), nc, lrjs.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	stored := map[uuid.UUID]int{}
	store.Replay(context.Background(), 1, func(e events.Envelope) error {
		stored[e.CommandID]++
		return nil
	})
	for _, id := range acked {
		if stored[id] != 1 {
			t.Fatalf("acknowledged command %s is stored %d times", id, stored[id])
		}
	}
	t.Logf("%d acknowledged before the kill, %d stored (the rest were in flight)", len(acked), len(stored))
}
