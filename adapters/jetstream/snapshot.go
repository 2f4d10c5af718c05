package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// JetStream's own stream snapshot and restore (the server API
// $JS.API.STREAM.SNAPSHOT.<stream> and $JS.API.STREAM.RESTORE.<stream>, as
// the nats CLI's 'stream backup' and 'stream restore' use it). nats.go has
// no helper for it; the protocol, as nats-server 2.15 implements it:
//
//   - snapshot: the request names a deliver subject; the server answers with
//     the stream's configuration and state (taken when the snapshot starts),
//     then sends the snapshot (an s2-compressed tar of the stream's files)
//     in chunks to the deliver subject, each full chunk with a reply subject
//     ($JS.SNAPSHOT.ACK.…) that the client answers to open the window for
//     more; the end is a message without data (status 204, or none when the
//     snapshot fits in one chunk); any other status is the server's error.
//   - restore: the request carries the configuration; the server answers
//     with a subject ($JS.SNAPSHOT.RESTORE.…) to which the client sends the
//     snapshot in chunks, each a request the server answers empty (or with
//     an error), and then an empty message, answered with the restored
//     stream's info or the restore's error.
//
// The stream keeps taking writes during a snapshot: the state in the answer
// is the one at the start, and messages stored during the snapshot may or
// may not be in it (see SnapshotInfo.State).

// SnapshotState is a stream's state as the snapshot API reports it.
type SnapshotState struct {
	Msgs     uint64    `json:"messages"`
	Bytes    uint64    `json:"bytes"`
	FirstSeq uint64    `json:"first_seq"`
	FirstTS  time.Time `json:"first_ts"`
	LastSeq  uint64    `json:"last_seq"`
	LastTS   time.Time `json:"last_ts"`
}

// SnapshotInfo is the server's answer to a snapshot request: the stream's
// configuration (as the server returned it, to be sent back on restore) and
// its state when the snapshot started.
type SnapshotInfo struct {
	Config json.RawMessage `json:"config"`
	State  SnapshotState   `json:"state"`
}

type apiError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (code %d, error %d)", e.Description, e.Code, e.ErrCode)
}

// apiRequest sends a JSON request to subject and decodes the answer into
// out, returning the server's error if it gave one.
func apiRequest(ctx context.Context, nc *nats.Conn, subject string, req, out any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	m, err := nc.RequestWithContext(ctx, subject, b)
	if err != nil {
		return fmt.Errorf("%s: %w", subject, err)
	}
	var e struct {
		Error *apiError `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return fmt.Errorf("%s: answer is not JSON: %w", subject, err)
	}
	if e.Error != nil {
		return fmt.Errorf("%s: %w", subject, e.Error)
	}
	return json.Unmarshal(m.Data, out)
}

// SnapshotChunkSize is the size of the chunks the server sends (its default).
const SnapshotChunkSize = 128 << 10

// SnapshotStream writes JetStream's snapshot of stream (without its
// consumers) to w, acknowledging each chunk once w has taken it, and
// returns the configuration and the state at the start. An error from w,
// from the server or from ctx ends it; w then holds a partial snapshot.
// The connection's identity must be allowed to subscribe to its inboxes and
// to publish to $JS.API.STREAM.SNAPSHOT.<stream> and $JS.SNAPSHOT.> (the
// engine's identity is).
func SnapshotStream(ctx context.Context, nc *nats.Conn, stream string, w io.Writer) (SnapshotInfo, error) {
	return snapshotStream(ctx, nc, stream, w, false)
}

// SnapshotStreamAndConsumers is SnapshotStream with the stream's consumers
// and their state (what each has delivered and had acknowledged), which a
// restore brings back with the stream.
func SnapshotStreamAndConsumers(ctx context.Context, nc *nats.Conn, stream string, w io.Writer) (SnapshotInfo, error) {
	return snapshotStream(ctx, nc, stream, w, true)
}

func snapshotStream(ctx context.Context, nc *nats.Conn, stream string, w io.Writer, consumers bool) (SnapshotInfo, error) {
	inbox := nc.NewInbox()
	done := make(chan error, 1)
	finish := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	// The callback runs in order, one message at a time: the chunks are
	// written in the order the server sent them. Once SnapshotStream has
	// returned (or a write failed), no chunk is written any more: the
	// caller may be cutting w back.
	var mu sync.Mutex
	stopped := false
	defer func() { mu.Lock(); stopped = true; mu.Unlock() }()
	sub, err := nc.Subscribe(inbox, func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if len(m.Data) == 0 {
			status, descr := m.Header.Get("Status"), m.Header.Get("Description")
			if status == "" || status == "204" {
				finish(nil)
			} else {
				finish(fmt.Errorf("snapshot of stream %s: the server stopped it: %s %s", stream, status, descr))
			}
			return
		}
		if _, err := w.Write(m.Data); err != nil {
			stopped = true
			finish(fmt.Errorf("snapshot of stream %s: write: %w", stream, err))
			return
		}
		if m.Reply != "" {
			if err := m.Respond(nil); err != nil {
				finish(fmt.Errorf("snapshot of stream %s: acknowledge a chunk: %w", stream, err))
			}
		}
	})
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer sub.Unsubscribe()
	_ = sub.SetPendingLimits(-1, -1)
	var info SnapshotInfo
	req := map[string]any{"deliver_subject": inbox, "no_consumers": !consumers, "chunk_size": SnapshotChunkSize}
	if err := apiRequest(ctx, nc, "$JS.API.STREAM.SNAPSHOT."+stream, req, &info); err != nil {
		return SnapshotInfo{}, fmt.Errorf("snapshot of stream %s: %w", stream, err)
	}
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return info, err
}

// RestoreStream restores stream from a snapshot read from r (as written by
// SnapshotStream), with config (SnapshotInfo.Config, possibly changed, e.g.
// its replicas), and returns the restored stream's state. The stream must
// not exist. sent, if not nil, is called with the bytes sent so far.
func RestoreStream(ctx context.Context, nc *nats.Conn, stream string, config json.RawMessage, r io.Reader, sent func(int64)) (SnapshotState, error) {
	var start struct {
		DeliverSubject string `json:"deliver_subject"`
	}
	req := map[string]any{"config": config, "state": map[string]any{}}
	if err := apiRequest(ctx, nc, "$JS.API.STREAM.RESTORE."+stream, req, &start); err != nil {
		return SnapshotState{}, fmt.Errorf("restore of stream %s: %w", stream, err)
	}
	if start.DeliverSubject == "" {
		return SnapshotState{}, fmt.Errorf("restore of stream %s: the server gave no subject to send the snapshot to", stream)
	}
	buf := make([]byte, SnapshotChunkSize)
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			m, rerr := nc.RequestWithContext(ctx, start.DeliverSubject, buf[:n])
			if rerr != nil {
				return SnapshotState{}, fmt.Errorf("restore of stream %s: send a chunk: %w", stream, rerr)
			}
			if len(m.Data) > 0 {
				var e struct {
					Error *apiError `json:"error"`
				}
				if json.Unmarshal(m.Data, &e) == nil && e.Error != nil {
					return SnapshotState{}, fmt.Errorf("restore of stream %s: %w", stream, e.Error)
				}
			}
			total += int64(n)
			if sent != nil {
				sent(total)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return SnapshotState{}, fmt.Errorf("restore of stream %s: read the snapshot: %w", stream, err)
		}
	}
	// The server restores the stream once it has the whole snapshot: that
	// can take a while for a large one.
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	m, err := nc.RequestWithContext(ctx, start.DeliverSubject, nil)
	if err != nil {
		return SnapshotState{}, fmt.Errorf("restore of stream %s: finish: %w", stream, err)
	}
	var resp struct {
		Error *apiError     `json:"error"`
		State SnapshotState `json:"state"`
	}
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return SnapshotState{}, fmt.Errorf("restore of stream %s: answer is not JSON: %w", stream, err)
	}
	if resp.Error != nil {
		return SnapshotState{}, fmt.Errorf("restore of stream %s: %w", stream, resp.Error)
	}
	return resp.State, nil
}

// StreamLastSeq returns stream's last sequence now; ok is false when the
// stream does not exist.
func StreamLastSeq(ctx context.Context, nc *nats.Conn, stream string) (last uint64, ok bool, err error) {
	var info struct {
		State SnapshotState `json:"state"`
	}
	err = apiRequest(ctx, nc, "$JS.API.STREAM.INFO."+stream, map[string]any{}, &info)
	var ae *apiError
	if errors.As(err, &ae) && ae.ErrCode == 10059 { // stream not found
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return info.State.LastSeq, true, nil
}

// StoredHeaders returns the headers of the message stored at seq on stream.
func StoredHeaders(ctx context.Context, nc *nats.Conn, stream string, seq uint64) (nats.Header, error) {
	var resp struct {
		Message struct {
			Header []byte `json:"hdrs"`
		} `json:"message"`
	}
	if err := apiRequest(ctx, nc, "$JS.API.STREAM.MSG.GET."+stream, map[string]any{"seq": seq}, &resp); err != nil {
		return nil, fmt.Errorf("read message %d of stream %s: %w", seq, stream, err)
	}
	return decodeHeaderBlock(resp.Message.Header)
}

// EndsAppend reports whether a stored message with headers h ends the
// engine's append it belongs to: a lone message, or the last of an atomic
// batch. A history cut after such a message holds no part of an append.
func EndsAppend(h nats.Header) bool {
	return header(h, headerBatchID) == "" || header(h, headerBatchCommit) == "1"
}

// decodeHeaderBlock parses a "NATS/1.0\r\nKey: value\r\n…\r\n\r\n" block.
func decodeHeaderBlock(b []byte) (nats.Header, error) {
	h := nats.Header{}
	if len(b) == 0 {
		return h, nil
	}
	lines := strings.Split(strings.TrimRight(string(b), "\r\n"), "\r\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "NATS/1.0") {
		return nil, errors.New("stored headers do not start with NATS/1.0")
	}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		h[strings.TrimSpace(k)] = append(h[strings.TrimSpace(k)], strings.TrimSpace(v))
	}
	return h, nil
}
