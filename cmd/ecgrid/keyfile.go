// This file writes a key to a file: mode 0600, atomically, never over an
// existing file unless told to.

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// errFileExists is the error of a key file that exists without -force.
var errFileExists = errors.New("exists: refusing to overwrite it without -force")

// keyFile is a key file about to be written: a temporary file in the same
// directory is created first, so that a directory where the key can't be
// written is found before anything is sent.
type keyFile struct {
	path  string
	force bool
	tmp   *os.File
	done  bool // write succeeded, or failed for good
}

// prepareKeyFile checks that path may be written: it must not exist unless
// force (and never be a directory), and a temporary file must be creatable
// beside it. Call discard when done.
func prepareKeyFile(path string, force bool) (*keyFile, error) {
	if err := checkTarget(path, force); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("can't create a file beside %s: %w", path, unwrapPath(err))
	}
	return &keyFile{path: path, force: force, tmp: tmp}, nil
}

// checkTarget refuses an existing path unless force, and a directory.
func checkTarget(path string, force bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case !force:
		return fmt.Errorf("%s %w", path, errFileExists)
	}
	return nil
}

// unwrapPath drops the *PathError around err, whose path the message gives
// already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// write stores key and a newline in the file: written to the temporary
// file, fsynced, closed, then moved to path (without -force by a hard link,
// which fails if path appeared meanwhile; with -force by a rename, which
// replaces it), and the directory fsynced where the system allows it. It can
// be called once; its error never holds the key.
func (k *keyFile) write(key string) error {
	if k.done {
		return errors.New("the key file was already written")
	}
	k.done = true
	name := k.tmp.Name()
	defer os.Remove(name) // after a link, or a failure; a no-op after a rename
	_, err := k.tmp.WriteString(key + "\n")
	if err == nil {
		err = k.tmp.Sync()
	}
	if cerr := k.tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing beside %s: %w", k.path, unwrapPath(err))
	}
	if err := checkTarget(k.path, k.force); err != nil {
		return err
	}
	if k.force {
		err = os.Rename(name, k.path)
	} else {
		err = os.Link(name, k.path)
		switch {
		case errors.Is(err, fs.ErrExist):
			err = fmt.Errorf("%s %w", k.path, errFileExists)
		case err != nil:
			// No hard links on this file system: check again, then rename.
			if err = checkTarget(k.path, false); err == nil {
				err = os.Rename(name, k.path)
			}
		}
	}
	if err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = fmt.Errorf("%s: %w", k.path, le.Err)
		}
		return err
	}
	syncDir(filepath.Dir(k.path))
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash; not
// every system can, and a failure changes nothing for the caller.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// discard removes the temporary file unless write has run.
func (k *keyFile) discard() {
	if k.done {
		return
	}
	k.done = true
	_ = k.tmp.Close()
	_ = os.Remove(k.tmp.Name())
}
