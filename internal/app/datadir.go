package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"segbridge/internal/secret"
	"segbridge/internal/store/sqlite"
)

// DirError says that segbridge cannot write a directory (or file) it
// needs, in one line: "cannot write the data directory X: permission
// denied".
type DirError struct {
	What   string // "data directory", "database directory", "database file"
	Path   string
	Reason string
}

func (e *DirError) Error() string {
	return fmt.Sprintf("cannot write the %s %s: %s", e.What, e.Path, e.Reason)
}

// checkWritable makes sure the directories the configuration writes to
// exist and can be written before anything opens them, so that a
// read-only or misplaced data directory is one clear line, not SQLite's
// codes: the embedded database's directory and file, and the data
// directory when the master key file is to be created there.
func (c Config) checkWritable() error {
	if strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		path, err := sqlite.PathFromURL(c.DatabaseURL)
		if err != nil {
			return err
		}
		what := "database directory"
		if filepath.Clean(filepath.Dir(path)) == filepath.Clean(c.DataDir) {
			what = "data directory"
		}
		if err := writableDir(what, filepath.Dir(path)); err != nil {
			return err
		}
		if err := writableFile(path); err != nil {
			return err
		}
	}
	if strings.TrimSpace(string(c.MasterKey)) == "" {
		keyFile := secret.Config{DataDir: c.DataDir}.WithDefaults().KeyFile()
		if _, err := os.Stat(keyFile); errors.Is(err, fs.ErrNotExist) {
			return writableDir("data directory", c.DataDir)
		}
	}
	return nil
}

// writableDir creates dir if needed and proves it writable with a file
// created and removed in it.
func writableDir(what, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &DirError{What: what, Path: dir, Reason: reason(dir, err)}
	}
	f, err := os.CreateTemp(dir, ".segbridge-write-check-*")
	if err != nil {
		return &DirError{What: what, Path: dir, Reason: reason(dir, err)}
	}
	name := f.Name()
	f.Close()
	_ = os.Remove(name)
	return nil
}

// writableFile checks that an existing database file opens for writing.
func writableFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &DirError{What: "database file", Path: path, Reason: reason(path, err)}
	}
	return f.Close()
}

// reason says in plain words why path could not be written.
func reason(path string, err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.EROFS):
		return "it is on a read-only file system"
	case errors.Is(err, syscall.ENOSPC):
		return "no space left on the device"
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, fs.ErrExist):
		if f := firstFile(path); f != "" {
			return f + " is a file, not a directory"
		}
		return "a part of the path is a file, not a directory"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// firstFile returns the first ancestor of path (or path) that exists and
// is not a directory.
func firstFile(path string) string {
	var parts []string
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		parts = append(parts, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for i := len(parts) - 1; i >= 0; i-- {
		st, err := os.Stat(parts[i])
		if err != nil {
			return ""
		}
		if !st.IsDir() {
			return parts[i]
		}
	}
	return ""
}
