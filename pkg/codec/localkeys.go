package codec

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// MaxKeyIDSize is the longest key ID of a LocalKeys keyring, in bytes.
const MaxKeyIDSize = 255

// LocalKeys is a keyring held in the process, for the embedded backend and tests. Each key
// has an ID, which is the reference stored in the frame. The primary key encrypts; every key
// of the ring decrypts. To rotate, make the new key primary and keep the old ones in the
// ring for as long as values encrypted with them are stored.
//
// A key should encrypt far fewer than 2^32 values (the frame's nonces are random); rotate
// well before.
//
// LocalKeys is safe for concurrent use; it is never changed after NewLocalKeys. Its String
// method names the key IDs and never shows key material.
type LocalKeys struct {
	primary string
	keys    map[string][]byte
}

// NewLocalKeys returns the keyring keys (ID to key) whose primary key is the one named
// primary. Every key is exactly KeySize bytes, every ID is non-empty and at most
// MaxKeyIDSize bytes, and primary is in keys. The keys are copied.
func NewLocalKeys(primary string, keys map[string][]byte) (*LocalKeys, error) {
	var errs []error
	if len(keys) == 0 {
		errs = append(errs, errors.New("codec: local keys: the keyring is empty"))
	}
	if primary == "" {
		errs = append(errs, errors.New("codec: local keys: the primary key ID is empty"))
	} else if _, ok := keys[primary]; !ok && len(keys) > 0 {
		errs = append(errs, fmt.Errorf("codec: local keys: the primary key ID %q is not in the keyring", primary))
	}
	ring := make(map[string][]byte, len(keys))
	for _, id := range slices.Sorted(maps.Keys(keys)) {
		if err := checkKeyID(id); err != nil {
			errs = append(errs, fmt.Errorf("codec: local keys: %w", err))
		}
		if n := len(keys[id]); n != KeySize {
			errs = append(errs, fmt.Errorf("codec: local keys: key %q is %d bytes, want %d", id, n, KeySize))
		}
		ring[id] = slices.Clone(keys[id])
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &LocalKeys{primary: primary, keys: ring}, nil
}

// checkKeyID reports what is wrong with id as a key ID.
func checkKeyID(id string) error {
	switch {
	case id == "":
		return errors.New("a key ID is empty")
	case len(id) > MaxKeyIDSize:
		return fmt.Errorf("key ID %.32q... is %d bytes, more than %d", id, len(id), MaxKeyIDSize)
	}
	return nil
}

// DataKey implements KeyProvider: the primary key, and its ID as the reference.
func (k *LocalKeys) DataKey(context.Context) (key []byte, ref []byte, err error) {
	return slices.Clone(k.keys[k.primary]), []byte(k.primary), nil
}

// Key implements KeyProvider: the key whose ID is ref. An ID not in the ring fails with
// ErrUnknownKey.
func (k *LocalKeys) Key(_ context.Context, ref []byte) ([]byte, error) {
	key, ok := k.keys[string(ref)]
	if !ok {
		return nil, fmt.Errorf("%w %s: the keyring holds %s", ErrUnknownKey, describeRef(ref), k.describeIDs())
	}
	return slices.Clone(key), nil
}

// Primary returns the ID of the key that encrypts.
func (k *LocalKeys) Primary() string { return k.primary }

// IDs returns the IDs of the ring, sorted.
func (k *LocalKeys) IDs() []string { return slices.Sorted(maps.Keys(k.keys)) }

// String names the primary key and the key IDs; it never shows key material, so a keyring
// printed or logged by mistake gives nothing away.
func (k *LocalKeys) String() string {
	return fmt.Sprintf("codec.LocalKeys{primary: %q, ids: %s}", k.primary, k.describeIDs())
}

// GoString is String, so that %#v shows no key material either.
func (k *LocalKeys) GoString() string { return k.String() }

func (k *LocalKeys) describeIDs() string {
	ids := k.IDs()
	for i, id := range ids {
		ids[i] = fmt.Sprintf("%q", id)
	}
	return "[" + strings.Join(ids, " ") + "]"
}
