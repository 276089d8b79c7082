package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

// KeySize is the size of the AES-256 data keys a KeyProvider supplies.
const KeySize = 32

// Sizes of the AES-GCM nonce and tag.
const (
	nonceSize = 12
	tagSize   = 16
)

// newAEAD returns AES-256-GCM with key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// randomNonce returns a fresh random GCM nonce. With random nonces a key should seal far
// fewer than 2^32 values; KMSKeys replaces its data key long before (KMSOptions.MaxUses).
func randomNonce() ([]byte, error) {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("read a random nonce: %w", err)
	}
	return nonce, nil
}
