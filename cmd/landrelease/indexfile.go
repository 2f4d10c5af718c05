package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// indexFileName is the command handler's index snapshot in the data dir
// (handling.IndexStore): the digests of every command ID and aggregate of
// the history, so that the next start scans only what was stored after it.
const indexFileName = "handler-index"

// indexFile keeps the snapshot in one file, replaced atomically: written to
// a temporary file beside it, synced, renamed over it, and the directory
// synced. A kill during the write leaves the previous snapshot (or none)
// and a temporary file that the next write removes; a damaged or foreign
// file is ignored by the handler, which scans the history instead.
type indexFile struct{ dir string }

func (f indexFile) Read() ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(f.dir, indexFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

func (f indexFile) Write(data []byte) error {
	if old, err := filepath.Glob(filepath.Join(f.dir, "."+indexFileName+"-*")); err == nil {
		for _, p := range old { // left by a write that was killed
			os.Remove(p)
		}
	}
	tmp, err := os.CreateTemp(f.dir, "."+indexFileName+"-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(f.dir, indexFileName))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	d, err := os.Open(f.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
