package handling

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
)

// IndexStore keeps the handler's index snapshot between runs (the engine:
// a file in the data dir, replaced atomically). Read returns nil and no
// error when there is none.
type IndexStore interface {
	Read() ([]byte, error)
	Write(data []byte) error
}

// indexVersion is the snapshot format's version: a snapshot of another
// version is ignored (the history is scanned again and a new one written).
const indexVersion = 1

var indexMagic = [4]byte{'L', 'R', 'I', 'X'}

// UseIndexStore makes Warm start from the snapshot in s (when it is valid
// for this history) and scan only the history after it, and lets
// SaveIndex write one. Call it before Warm.
func (h *Handler) UseIndexStore(s IndexStore) { h.snapshots = s }

// snapshot layout (little endian): magic, version u32, key k0 k1, upTo,
// checkSeq, checkDigest, n IDs, n aggregates, the ID entries (digest,
// sequence), the aggregate digests, CRC-32 (Castagnoli) of all before.
const snapshotHeader = 4 + 4 + 8*7

// SaveIndex writes a snapshot of the command index and of the aggregates
// known to exist, valid for the history up to sequence upTo: the caller
// vouches that every message up to upTo went through the index (the scan,
// the handler's own appends when it is the only writer, or Observe). It
// does nothing without an IndexStore, before Warm, or while the scan runs
// or after it failed.
func (h *Handler) SaveIndex(upTo uint64) error {
	if h.snapshots == nil || upTo == 0 || !h.warmed.Load() {
		return nil // without Warm the index knows only what it saw
	}
	x := &h.index
	x.mu.Lock()
	if !x.scanDoneLocked() {
		x.mu.Unlock()
		return nil
	}
	if x.scanErr != nil {
		x.mu.Unlock()
		return nil
	}
	x.mergeRecentLocked()
	ids := x.sorted // never modified in place: merges make a new array
	key := x.key
	x.mu.Unlock()
	h.cache.mu.Lock()
	refs := slices.Sorted(maps.Keys(h.cache.exists))
	h.cache.mu.Unlock()
	var checkSeq, checkDigest uint64
	for _, e := range ids {
		if e.seq <= upTo && e.seq > checkSeq {
			checkSeq, checkDigest = e.seq, e.h
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, snapshotHeader+16*len(ids)+8*len(refs)+4))
	buf.Write(indexMagic[:])
	w := func(v uint64) { buf.Write(binary.LittleEndian.AppendUint64(nil, v)) }
	buf.Write(binary.LittleEndian.AppendUint32(nil, indexVersion))
	for _, v := range []uint64{key.k0, key.k1, upTo, checkSeq, checkDigest, uint64(len(ids)), uint64(len(refs))} {
		w(v)
	}
	for _, e := range ids {
		w(e.h)
		w(e.seq)
	}
	for _, r := range refs {
		w(r)
	}
	buf.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(buf.Bytes(), crc32.MakeTable(crc32.Castagnoli))))
	if err := h.snapshots.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("save the command index: %w", err)
	}
	return nil
}

// mergeRecentLocked moves the recent entries into the sorted array.
func (x *commandIndex) mergeRecentLocked() {
	if len(x.recent) == 0 && len(x.spill) == 0 {
		return
	}
	add := make([]idEntry, 0, len(x.recent)+len(x.spill))
	for h, seq := range x.recent {
		add = append(add, idEntry{h, seq})
	}
	add = append(add, x.spill...)
	x.mergeLocked(add)
	clear(x.recent)
	x.spill = nil
}

var errSnapshot = errors.New("not a usable index snapshot")

// loadSnapshot installs the snapshot of h.snapshots if it is valid for a
// history whose last sequence is last, and returns the sequence it covers
// (0: none installed; the whole history is to be scanned). A snapshot of
// another version, damaged, from another history (its check event is not
// there) or newer than the history is ignored.
func (h *Handler) loadSnapshot(ctx context.Context, last uint64) (uint64, error) {
	if h.snapshots == nil {
		return 0, nil
	}
	data, err := h.snapshots.Read()
	if err != nil || data == nil {
		return 0, err
	}
	n := len(data)
	if n < snapshotHeader+4 || !bytes.Equal(data[:4], indexMagic[:]) || binary.LittleEndian.Uint32(data[4:]) != indexVersion ||
		binary.LittleEndian.Uint32(data[n-4:]) != crc32.Checksum(data[:n-4], crc32.MakeTable(crc32.Castagnoli)) {
		return 0, nil
	}
	r := func(i int) uint64 { return binary.LittleEndian.Uint64(data[8+8*i:]) }
	key := hashKey{r(0), r(1)}
	upTo, checkSeq, checkDigest, nIDs, nRefs := r(2), r(3), r(4), r(5), r(6)
	if upTo > last || uint64(n) != snapshotHeader+16*nIDs+8*nRefs+4 {
		return 0, nil
	}
	if checkSeq > 0 {
		e, ok, err := h.eventAt(ctx, checkSeq)
		if err != nil {
			return 0, err
		}
		if !ok || key.id(e.CommandID) != checkDigest {
			return 0, nil // another history
		}
	}
	ids := make([]idEntry, nIDs)
	at := snapshotHeader
	for i := range ids {
		ids[i] = idEntry{binary.LittleEndian.Uint64(data[at:]), binary.LittleEndian.Uint64(data[at+8:])}
		at += 16
	}
	exists := make(map[uint64]struct{}, nRefs)
	for range nRefs {
		exists[binary.LittleEndian.Uint64(data[at:])] = struct{}{}
		at += 8
	}
	x := &h.index
	x.mu.Lock()
	defer x.mu.Unlock()
	h.cache.mu.Lock()
	defer h.cache.mu.Unlock()
	if len(x.sorted) > 0 || len(x.recent) > 0 || len(x.claims) > 0 || len(h.cache.exists) > 0 {
		return 0, nil // the handler was used before Warm: its digests use its own key
	}
	x.key, h.cache.key = key, key
	x.sorted, h.cache.exists = ids, exists
	return upTo, nil
}
