package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	osexec "os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/internal/perf"
)

var servingAt = regexp.MustCompile(`serving the API at (http://[^/\s]+)/api/v1/`)

// ServeColdStart runs 'landrelease --data-dir dataDir serve --insecure-local
// --http 127.0.0.1:0' as a child process, as a user starts it on an
// existing data dir, and measures the time to the dashboard's first page
// with data (the page, then /api/v1/overview answering 200) and to the
// first command accepted through the API (cmd), then stops it (SIGTERM)
// and reads its peak RSS from its rusage.
func (h benchHost) ServeColdStart(ctx context.Context, dataDir string, cmd domain.CommandEnvelope) (perf.ServeStart, error) {
	var st perf.ServeStart
	if h.bin == "" {
		return st, fmt.Errorf("no landrelease binary to run serve")
	}
	line, err := domain.EncodeCommand(cmd)
	if err != nil {
		return st, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Hour)
	defer cancel()
	c := osexec.Command(h.bin, "--data-dir", dataDir, "serve", "--insecure-local", "--http", "127.0.0.1:0")
	pipe, err := c.StderrPipe()
	if err != nil {
		return st, err
	}
	start := time.Now()
	if err := c.Start(); err != nil {
		return st, err
	}
	var logTail bytes.Buffer
	found := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if m := servingAt.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			if logTail.Len() < 4000 {
				logTail.WriteString(sc.Text() + "\n")
			}
		}
	}()
	stop := func() error {
		c.Process.Signal(syscall.SIGTERM)
		<-done
		return c.Wait()
	}
	fail := func(err error) (perf.ServeStart, error) {
		stop()
		return st, fmt.Errorf("serve: %w\n%s", err, strings.TrimSpace(logTail.String()))
	}
	var base string
	select {
	case base = <-found:
	case <-done:
		c.Wait()
		return st, fmt.Errorf("serve exited before listening:\n%s", strings.TrimSpace(logTail.String()))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	// The first command is sent as soon as serve listens (it may be
	// accepted before the first page: serve builds a read model far behind
	// the history in the background), and again after a refusal to answer.
	type sent struct {
		at  time.Duration
		err error
	}
	commanded := make(chan sent, 1)
	go func() {
		for {
			resp, err := client.Post(base+"/api/v1/commands", "application/json", bytes.NewReader(line))
			if err != nil {
				commanded <- sent{err: err}
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var answer struct {
				Applied int `json:"applied"`
			}
			if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &answer) == nil && answer.Applied == 1 {
				commanded <- sent{at: time.Since(start)}
				return
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				commanded <- sent{err: fmt.Errorf("the first command was not accepted: %d %s", resp.StatusCode, body)}
				return
			}
			select {
			case <-ctx.Done():
				commanded <- sent{err: ctx.Err()}
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	get := func(path string) (int, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	for _, path := range []string{"/", "/api/v1/overview"} {
		for {
			code, err := get(path)
			if err == nil && code == http.StatusOK {
				break
			}
			select {
			case <-done:
				c.Wait()
				return st, fmt.Errorf("serve exited before GET %s answered: %d %v\n%s", path, code, err, strings.TrimSpace(logTail.String()))
			case <-ctx.Done():
				return fail(fmt.Errorf("GET %s: %d %v", path, code, err))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	st.FirstPage = time.Since(start)
	c1 := <-commanded
	if c1.err != nil {
		return fail(c1.err)
	}
	st.FirstCommand = c1.at
	if err := stop(); err != nil {
		return st, fmt.Errorf("serve: stopping: %w\n%s", err, strings.TrimSpace(logTail.String()))
	}
	st.PeakMiB = maxRSSMiB(c.ProcessState)
	return st, nil
}
