// Package secret encrypts small secrets at rest (Omnisend API keys) with
// AES-256-GCM under a master key.
//
// A sealed value is self-describing:
//
//	version (1 byte, 1) | key id (4 bytes, big endian) | nonce (12 bytes) | ciphertext+tag
//
// The nonce is random for every Seal. The key id is a fingerprint of the
// master key that sealed the value, so a Keyring holding several keys (the
// current one and older ones, for `keys rotate`) knows which key opens it.
// The header and the caller's associated data (for example "connection 7")
// are authenticated: a value altered in any byte, or copied to another row,
// fails to open.
//
// The master key comes from SEGBRIDGE_MASTER_KEY (base64 of 32 bytes) or
// from a key file (master.key in the data directory) that Load creates with
// mode 0600 on first use; see Config.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// KeySize is the size of a master key: 32 bytes (AES-256).
const KeySize = 32

const (
	formatVersion = 1
	headerSize    = 1 + 4
	nonceSize     = 12
	// Overhead is how many bytes Seal adds to the plaintext.
	Overhead = headerSize + nonceSize + 16
)

// ErrOpen is returned (wrapped) when a sealed value cannot be opened: the
// wrong master key, or the value or its associated data was changed.
var ErrOpen = errors.New("secret: cannot decrypt")

// Keyring seals with its current master key and opens with any key it holds.
// It is safe for concurrent use. It never prints its keys.
type Keyring struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
	rand    io.Reader
	source  string
}

// NewKeyring returns a keyring that seals with current and can also open
// values sealed with any of older. Every key must be KeySize bytes. source
// says where the current key came from, for messages (for example
// "SEGBRIDGE_MASTER_KEY" or a file path). rnd supplies nonces (nil:
// crypto/rand).
func NewKeyring(source string, rnd io.Reader, current []byte, older ...[]byte) (*Keyring, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	k := &Keyring{aeads: map[uint32]cipher.AEAD{}, rand: rnd, source: source}
	for i, key := range append([][]byte{current}, older...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secret: master key %d is %d bytes, want %d", i, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("secret: master key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret: master key %d: %w", i, err)
		}
		id := KeyID(key)
		if i == 0 {
			k.current = id
		}
		k.aeads[id] = aead
	}
	return k, nil
}

// KeyID is the public fingerprint of a master key that sealed values carry.
func KeyID(key []byte) uint32 {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("segbridge secret key id v1"))
	return binary.BigEndian.Uint32(m.Sum(nil))
}

// CurrentKeyID is the id of the key Seal uses.
func (k *Keyring) CurrentKeyID() uint32 { return k.current }

// Source says where the current master key came from.
func (k *Keyring) Source() string { return k.source }

// Seal encrypts plaintext, binding it to associatedData, which Open must
// be given again.
func (k *Keyring) Seal(plaintext, associatedData []byte) ([]byte, error) {
	out := make([]byte, headerSize+nonceSize, Overhead+len(plaintext))
	out[0] = formatVersion
	binary.BigEndian.PutUint32(out[1:headerSize], k.current)
	if _, err := io.ReadFull(k.rand, out[headerSize:]); err != nil {
		return nil, fmt.Errorf("secret: seal: read nonce: %w", err)
	}
	aad := additional(out[:headerSize], associatedData)
	return k.aeads[k.current].Seal(out, out[headerSize:], plaintext, aad), nil
}

// Open decrypts a value sealed by Seal with the same associated data.
func (k *Keyring) Open(sealed, associatedData []byte) ([]byte, error) {
	id, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: the value was sealed with master key %08x, but this process has master key %08x (from %s); "+
			"every segbridge process that shares a database needs the same master key (set SEGBRIDGE_MASTER_KEY)",
			ErrOpen, id, k.current, k.source)
	}
	aad := additional(sealed[:headerSize], associatedData)
	plain, err := aead.Open(nil, sealed[headerSize:headerSize+nonceSize], sealed[headerSize+nonceSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: the value was altered or belongs to another record", ErrOpen)
	}
	return plain, nil
}

// SealedKeyID reads the id of the master key that sealed a value.
func SealedKeyID(sealed []byte) (uint32, error) {
	if len(sealed) < Overhead {
		return 0, fmt.Errorf("%w: value too short (%d bytes)", ErrOpen, len(sealed))
	}
	if sealed[0] != formatVersion {
		return 0, fmt.Errorf("%w: unknown format version %d", ErrOpen, sealed[0])
	}
	return binary.BigEndian.Uint32(sealed[1:headerSize]), nil
}

func additional(header, associatedData []byte) []byte {
	aad := make([]byte, 0, len(header)+len(associatedData))
	return append(append(aad, header...), associatedData...)
}

// String describes the keyring without its keys.
func (k *Keyring) String() string {
	return fmt.Sprintf("secret.Keyring{current: %08x, keys: %d, source: %q}", k.current, len(k.aeads), k.source)
}

// Format implements fmt.Formatter: every verb prints String, so reflection
// never reaches the key schedules.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue implements slog.LogValuer.
func (k *Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_id", fmt.Sprintf("%08x", k.current)), slog.String("source", k.source))
}
