package secret

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvVar names the environment variable that holds the master key.
const EnvVar = "SEGBRIDGE_MASTER_KEY"

// DefaultFileName is the key file's name in the data directory.
const DefaultFileName = "master.key"

// Config says where the master key comes from: EnvKey when set, else the
// key file FileName in DataDir, created on first use.
type Config struct {
	// EnvKey is the value of SEGBRIDGE_MASTER_KEY: the standard base64 of
	// 32 random bytes (for example `openssl rand -base64 32`). When set it
	// is the master key and no file is read or created.
	EnvKey EnvKey
	// DataDir holds the key file when EnvKey is empty. Required then.
	DataDir string
	// FileName is the key file's name in DataDir (default master.key).
	FileName string
	// Rand supplies new keys and nonces (default crypto/rand).
	Rand io.Reader
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.FileName == "" {
		c.FileName = DefaultFileName
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	if strings.TrimSpace(string(c.EnvKey)) == "" && c.DataDir == "" {
		return errors.New("secret: config: DataDir: required when " + EnvVar + " is not set")
	}
	if c.FileName != filepath.Base(c.FileName) {
		return fmt.Errorf("secret: config: FileName %q: want a plain file name", c.FileName)
	}
	return nil
}

// KeyFile is the path of the key file c names.
func (c Config) KeyFile() string { return filepath.Join(c.DataDir, c.WithDefaults().FileName) }

// Load returns the keyring of the configured master key, creating the key
// file (mode 0600) when neither the variable nor the file exists yet.
func Load(cfg Config) (*Keyring, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(cfg.EnvKey)) != "" {
		key, err := decodeKey(string(cfg.EnvKey))
		if err != nil {
			return nil, fmt.Errorf("%s %w", EnvVar, err)
		}
		return NewKeyring(EnvVar, cfg.Rand, key)
	}
	path := cfg.KeyFile()
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKeyFile(path, cfg.Rand)
	}
	if err != nil {
		return nil, err
	}
	return NewKeyring(path, cfg.Rand, key)
}

// decodeKey parses base64 (standard or URL alphabet, padded or not) of
// exactly KeySize bytes. Errors never repeat the value.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("decodes to %d bytes, want %d; generate a key with: openssl rand -base64 32", len(key), KeySize)
		}
		return key, nil
	}
	return nil, errors.New("is not valid base64; it must be the base64 of 32 random bytes, for example the output of: openssl rand -base64 32")
}

// readKeyFile reads an existing key file, refusing one that others may read.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("master key file %s is a directory", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("master key file %s is readable by group or others (mode %04o); "+
			"only its owner may read it: run chmod 600 %s", path, perm, path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key file: %w", err)
	}
	key, err := decodeKey(string(raw))
	if err != nil {
		return nil, fmt.Errorf("master key file %s %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new random key to a temporary 0600 file and links
// it into place, so a concurrent process either creates the file or reads
// the complete one another process made.
func createKeyFile(path string, rnd io.Reader) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, fmt.Errorf("create master key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600; write and sync before it gets its name.
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	err = errors.Join(err, tmp.Sync(), tmp.Close())
	if err != nil {
		return nil, fmt.Errorf("write master key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		return nil, fmt.Errorf("create master key file %s: %w", path, err)
	}
	return key, nil
}
