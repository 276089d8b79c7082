package codec

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseLocalKeys parses a keyring written as "id1:base64key,id2:base64key", as an
// environment variable such as HOOKFLOW_LOCAL_KEYS holds it: the first key is the primary.
// Keys are KeySize bytes in standard or URL base64, padded or not (GenerateLocalKey writes
// one); spaces around entries, IDs and keys are ignored. Errors name the entry and its ID,
// never the key material.
func ParseLocalKeys(s string) (*LocalKeys, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New(`codec: local keys: no keys (want "id1:base64key,id2:base64key")`)
	}
	var (
		errs    []error
		primary string
		keys    = map[string][]byte{}
	)
	for i, entry := range strings.Split(s, ",") {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			errs = append(errs, fmt.Errorf("codec: local keys: entry %d is empty", n))
			continue
		}
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok {
			// The entry may be a bare key: it is not quoted.
			errs = append(errs, fmt.Errorf(`codec: local keys: entry %d has no ':' between its ID and its key (want "id:base64key")`, n))
			continue
		}
		id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
		if err := checkKeyID(id); err != nil {
			errs = append(errs, fmt.Errorf("codec: local keys: entry %d: %w", n, err))
			continue
		}
		if _, dup := keys[id]; dup {
			errs = append(errs, fmt.Errorf("codec: local keys: entry %d: key ID %q appears more than once", n, id))
			continue
		}
		key, ok := decodeBase64(encoded)
		if !ok {
			errs = append(errs, fmt.Errorf("codec: local keys: entry %d: key %q is not valid base64", n, id))
			continue
		}
		if len(key) != KeySize {
			errs = append(errs, fmt.Errorf("codec: local keys: entry %d: key %q is %d bytes, want %d", n, id, len(key), KeySize))
			continue
		}
		if primary == "" {
			primary = id
		}
		keys[id] = key
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewLocalKeys(primary, keys)
}

// decodeBase64 decodes s in any of the standard and URL alphabets, padded or not. It returns
// no error, whose text could quote the input.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// GenerateLocalKey returns a fresh random KeySize-byte key in standard base64, as
// ParseLocalKeys reads it.
func GenerateLocalKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("codec: generate a local key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// NewLocal returns the codec the embedded backend stores payloads with: values compressed,
// then encrypted with the keyring spec describes (ParseLocalKeys: "id:base64key,...", the
// first key encrypts). The dev server, the CLI and the deploy gate read HOOKFLOW_LOCAL_KEYS
// with it; the same keys must read a store again.
func NewLocal(spec string) (Codec, error) {
	keys, err := ParseLocalKeys(spec)
	if err != nil {
		return nil, err
	}
	return New(Options{Compress: true, Keys: keys})
}
