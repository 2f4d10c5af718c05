package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// The history archive (export --what history, import --format history):
// JSON Lines, readable without landrelease. The first line describes the
// archive; each following line is one message of the history stream, in
// order:
//
//	{"format":"landrelease-history","format_version":1,"stream":"LANDRELEASE","messages":N,"last_sequence":S,"engine_version":"…"}
//	{"sequence":1,"subject":"lr.kh.area.…","headers":{"Nats-Msg-Id":["…"],"Lr-Event-Type":["AreaRegistered"],…},"body":{…}}
//
// headers are the message's headers as stored (docs/contract.md, Storage
// on JetStream); body is the event's JSON exactly as stored (or
// body_base64 for a body that is not compact JSON, such as a message the
// engine did not write).
const (
	historyFormat        = "landrelease-history"
	historyFormatVersion = 1
)

type historyHead struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	Stream        string `json:"stream"`
	Messages      uint64 `json:"messages"`
	LastSequence  uint64 `json:"last_sequence"`
	EngineVersion string `json:"engine_version"`
}

type historyLine struct {
	Sequence   uint64              `json:"sequence"`
	Subject    string              `json:"subject"`
	Headers    map[string][]string `json:"headers"`
	Body       json.RawMessage     `json:"body,omitempty"`
	BodyBase64 string              `json:"body_base64,omitempty"`
}

// exportHistory writes the whole history stream as a history archive and
// returns the messages written.
func exportHistory(ctx context.Context, store *lrjs.Store, w io.Writer) (uint64, error) {
	last, err := store.LastSequence(ctx)
	if err != nil {
		return 0, err
	}
	head := historyHead{Format: historyFormat, FormatVersion: historyFormatVersion, Stream: store.StreamName(), Messages: last, LastSequence: last, EngineVersion: engineVersion()}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(head); err != nil {
		return 0, err
	}
	var n uint64
	err = store.ReplayRaw(ctx, 1, last, func(subject string, seq uint64, h nats.Header, data []byte) error {
		line := historyLine{Sequence: seq, Subject: subject, Headers: h}
		if compactJSON(data) {
			line.Body = data
		} else {
			line.BodyBase64 = base64.StdEncoding.EncodeToString(data)
		}
		n++
		return enc.Encode(line)
	})
	return n, err
}

// compactJSON reports whether b is valid JSON that json.Marshal writes back
// byte for byte (it compacts a RawMessage).
func compactJSON(b []byte) bool {
	if len(b) == 0 || !json.Valid(b) {
		return false
	}
	var c bytes.Buffer
	if json.Compact(&c, b) != nil {
		return false
	}
	return bytes.Equal(c.Bytes(), b) && !bytes.ContainsAny(b, "<>&\u2028\u2029")
}

// isHistoryArchive reports whether the file at path starts as a history
// archive (for import's --format auto).
func isHistoryArchive(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 64)
	n, _ := io.ReadFull(f, b)
	return strings.HasPrefix(strings.TrimSpace(string(b[:n])), `{"format":"`+historyFormat+`"`)
}

// importHistory appends the messages of the history archive r to the
// empty stream of js, each at the sequence it had: the messages of one
// atomic append of the original (one Nats-Batch-Id) as one atomic batch,
// with their headers (Nats-Msg-Id, the Lr- headers) and bodies as they
// were. It checks every sequence and returns the messages imported.
func importHistory(ctx context.Context, js jetstream.JetStream, r io.Reader, progress func(uint64)) (uint64, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var head historyHead
	if err := dec.Decode(&head); err != nil || head.Format != historyFormat {
		return 0, fmt.Errorf("not a landrelease history archive (its first line must be {\"format\":%q,...})", historyFormat)
	}
	if head.FormatVersion < 1 || head.FormatVersion > historyFormatVersion {
		return 0, fmt.Errorf("history archive format version %d; this landrelease reads 1 to %d", head.FormatVersion, historyFormatVersion)
	}
	var batch []*nats.Msg
	var batchID string
	var next, n uint64 = 1, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var first uint64
		if len(batch) == 1 {
			ack, err := js.PublishMsg(ctx, batch[0])
			if err != nil {
				return fmt.Errorf("sequence %d: %w", next, err)
			}
			first = ack.Sequence
		} else {
			ack, err := jetstreamext.PublishMsgBatch(ctx, js, batch)
			if err != nil {
				return fmt.Errorf("sequences %d to %d: %w", next, next+uint64(len(batch))-1, err)
			}
			first = ack.Sequence - ack.BatchSize + 1
		}
		if first != next {
			return fmt.Errorf("sequence %d was stored at %d: the stream was not empty, or another writer used it", next, first)
		}
		next += uint64(len(batch))
		n += uint64(len(batch))
		batch, batchID = batch[:0], ""
		if progress != nil {
			progress(n)
		}
		return nil
	}
	for line := 2; ; line++ {
		var l historyLine
		err := dec.Decode(&l)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("line %d: %w", line, err)
		}
		data := []byte(l.Body)
		if l.BodyBase64 != "" {
			if data, err = base64.StdEncoding.DecodeString(l.BodyBase64); err != nil {
				return n, fmt.Errorf("line %d: body_base64: %w", line, err)
			}
		}
		h := nats.Header{}
		id := ""
		for k, vs := range l.Headers {
			switch k {
			case "Nats-Batch-Id":
				id = strings.Join(vs, ",")
			case "Nats-Batch-Sequence", "Nats-Batch-Commit":
				// set again by the batch publish
			default:
				h[k] = vs
			}
		}
		if id == "" || id != batchID {
			if err := flush(); err != nil {
				return n, err
			}
		}
		if want := next + uint64(len(batch)); l.Sequence != want {
			return n, fmt.Errorf("line %d: sequence %d, want %d (lines must follow the stream's order without gaps)", line, l.Sequence, want)
		}
		batch = append(batch, &nats.Msg{Subject: l.Subject, Header: h, Data: data})
		batchID = id
		if id == "" {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := flush(); err != nil {
		return n, err
	}
	if head.Messages != n {
		return n, fmt.Errorf("the archive's first line announces %d messages, it holds %d: it is truncated", head.Messages, n)
	}
	return n, nil
}

// runExportHistory is export --what history.
func runExportHistory(ctx context.Context, a *app, out string) int {
	eng, err := openEngine(ctx, a.g, a.stderr)
	if err != nil {
		return fail(a, "export", err)
	}
	defer eng.Close()
	w := a.stdout
	var file *os.File
	if out != "" && out != "-" {
		if file, err = os.Create(out); err != nil {
			return fail(a, "export", err)
		}
		w = file
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	n, err := exportHistory(ctx, eng.store, bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if file != nil {
		if serr := file.Sync(); err == nil {
			err = serr
		}
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fail(a, "export", err)
	}
	fmt.Fprintf(a.stderr, "landrelease export: %d history messages written\n", n)
	return exitOK
}

// runImportHistory is import --format history: into an empty data dir (or
// a cluster without the history stream), then the read model is rebuilt.
func runImportHistory(ctx context.Context, a *app, path string) int {
	f, err := os.Open(path)
	if err != nil {
		return fail(a, "import", err)
	}
	defer f.Close()
	// A first pass counts the lines, so that a truncated archive is refused
	// before anything is written.
	var head historyHead
	br := bufio.NewReaderSize(f, 1<<20)
	first, err := br.ReadBytes('\n')
	if err != nil || json.Unmarshal(first, &head) != nil || head.Format != historyFormat {
		return fail(a, "import", fmt.Errorf("%s: not a landrelease history archive (its first line must be {\"format\":%q,...})", path, historyFormat))
	}
	var lines uint64
	for {
		l, err := br.ReadSlice('\n')
		if len(bytes.TrimSpace(l)) > 0 {
			lines++
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		}
		if err != nil {
			break
		}
	}
	if lines != head.Messages {
		return fail(a, "import", fmt.Errorf("%s: the first line announces %d messages, the archive holds %d: it is truncated or damaged; nothing was written", path, head.Messages, lines))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(a, "import", err)
	}
	nc, closeNATS, err := connectForRestore(ctx, a.g)
	if err != nil {
		return fail(a, "import", err)
	}
	cfg := lrjs.DefaultConfig()
	cfg.Replicas = a.g.replicas
	store, err := lrjs.Open(ctx, nc, cfg)
	if err == nil {
		var last uint64
		if last, err = store.LastSequence(ctx); err == nil && last > 0 {
			err = fmt.Errorf("stream %s already holds %d messages: import a history archive into an empty data dir, or a cluster without the stream", cfg.Stream, last)
		}
	}
	var n uint64
	if err == nil {
		bar := newProgress(a.stderr, int64(head.Messages), "importing history")
		n, err = importHistory(ctx, store.JetStream(), f, func(n uint64) {
			if bar != nil {
				_ = bar.Set64(int64(n))
			}
		})
		if bar != nil {
			_ = bar.Finish()
		}
	}
	closeNATS()
	if err != nil {
		return fail(a, "import", fmt.Errorf("%s: %w", path, err))
	}
	m, err := rebuildReadModel(ctx, a)
	if err != nil {
		return fail(a, "import", fmt.Errorf("the history is imported, but rebuilding the read model failed (run 'landrelease rebuild'): %w", err))
	}
	fmt.Fprintf(a.stdout, "imported %d history messages (sequences 1 to %d) from %s; read model rebuilt from %d events\n", n, n, path, m)
	return exitOK
}
