// Package atomicfile writes a file whole or not at all: to a temporary file
// in the same folder, synced, then renamed over the old one, so a crash
// never leaves half a file (the console's accounts, the validity overrides).
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with data, creating its folder.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
