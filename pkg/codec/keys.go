package codec

import (
	"context"
	"errors"
)

// KeyProvider supplies data keys for AES-256-GCM. Implementations are safe for concurrent
// use: LocalKeys and KMSKeys.
type KeyProvider interface {
	// DataKey returns a KeySize-byte key to encrypt with now, and the opaque reference,
	// stored beside the ciphertext, that Key turns back into the same key.
	DataKey(ctx context.Context) (key []byte, ref []byte, err error)
	// Key returns the key a stored reference names.
	Key(ctx context.Context, ref []byte) ([]byte, error)
}

// ErrUnknownKey is matched (errors.Is) by the error of LocalKeys.Key for a key ID that is
// not in the keyring, and so by the ErrDecode error of Decode in that case.
var ErrUnknownKey = errors.New("codec: unknown key ID")
