package codec

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// KMSKeys is a KeyProvider doing envelope encryption with AWS KMS. DataKey asks KMS for a
// data key (GenerateDataKey, AES_256, on KMSOptions.KeyID) and uses it for at most
// KMSOptions.TTL and KMSOptions.MaxUses values; the reference stored in the frame is the
// data key encrypted by KMS (the CiphertextBlob). Key asks KMS to decrypt such a blob
// (Decrypt, without a key ID, so that blobs made under a previous KeyID still decrypt) and
// caches the data key for KMSOptions.TTL, bounded to KMSOptions.CacheSize keys.
//
// KMSKeys is safe for concurrent use. Concurrent callers do not stampede KMS: one
// GenerateDataKey at a time replaces an expired data key while the others wait, and one
// Decrypt at a time decrypts a given blob. Plaintext data keys are never logged or printed.
type KMSKeys struct {
	client KMSAPI
	opts   KMSOptions

	// lock (a channel of one, so that waiting heeds the context) guards current, and is
	// held across GenerateDataKey so that callers that find the data key expired wait for
	// the one call that replaces it.
	lock    chan struct{}
	current *dataKey

	cache *keyCache

	flightMu sync.Mutex
	flights  map[string]*decryptFlight // by blob
}

// dataKey is the data key that DataKey hands out.
type dataKey struct {
	key, blob []byte
	expires   time.Time
	uses      int
}

// decryptFlight is a Decrypt in progress, whose result callers asking for the same blob
// share.
type decryptFlight struct {
	done chan struct{}
	key  []byte
	err  error
}

// NewKMSKeys returns KMSKeys that call client (a *kms.Client) with opts, after setting
// their defaults (KMSOptions.WithDefaults).
func NewKMSKeys(client KMSAPI, opts KMSOptions) (*KMSKeys, error) {
	opts = opts.WithDefaults()
	err := opts.validate()
	if client == nil {
		err = errors.Join(err, errors.New("codec: NewKMSKeys needs a KMS client"))
	}
	if err != nil {
		return nil, err
	}
	opts.EncryptionContext = maps.Clone(opts.EncryptionContext)
	return &KMSKeys{
		client:  client,
		opts:    opts,
		lock:    make(chan struct{}, 1),
		cache:   newKeyCache(opts.CacheSize),
		flights: map[string]*decryptFlight{},
	}, nil
}

// DataKey implements KeyProvider: the current data key and its CiphertextBlob, after
// asking KMS for a new one when there is none yet, or the current one is older than
// KMSOptions.TTL or has encrypted KMSOptions.MaxUses values.
func (k *KMSKeys) DataKey(ctx context.Context) (key []byte, ref []byte, err error) {
	select {
	case k.lock <- struct{}{}:
		defer func() { <-k.lock }()
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("codec: wait for a KMS data key: %w", ctx.Err())
	}
	now := k.opts.Clock.Now()
	if c := k.current; c == nil || !now.Before(c.expires) || c.uses >= k.opts.MaxUses {
		out, err := k.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
			KeyId:             aws.String(k.opts.KeyID),
			KeySpec:           types.DataKeySpecAes256,
			EncryptionContext: k.opts.EncryptionContext,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("codec: KMS GenerateDataKey with key %s: %w", k.opts.KeyID, err)
		}
		if len(out.Plaintext) != KeySize || len(out.CiphertextBlob) == 0 {
			return nil, nil, fmt.Errorf("codec: KMS GenerateDataKey with key %s returned a %d-byte key and a %d-byte blob, want %d and some",
				k.opts.KeyID, len(out.Plaintext), len(out.CiphertextBlob), KeySize)
		}
		k.current = &dataKey{key: out.Plaintext, blob: out.CiphertextBlob, expires: now.Add(k.opts.TTL)}
		// Values written now are often read soon, by this process: no Decrypt for them.
		k.cache.put(string(out.CiphertextBlob), out.Plaintext, k.current.expires)
	}
	k.current.uses++
	return slices.Clone(k.current.key), slices.Clone(k.current.blob), nil
}

// Key implements KeyProvider: the data key that the CiphertextBlob ref encrypts, from the
// cache or from KMS Decrypt.
func (k *KMSKeys) Key(ctx context.Context, ref []byte) ([]byte, error) {
	id := string(ref)
	for {
		if key, ok := k.cache.get(id, k.opts.Clock.Now()); ok {
			return key, nil
		}
		k.flightMu.Lock()
		f, ok := k.flights[id]
		if !ok {
			break // with flightMu held
		}
		k.flightMu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("codec: wait for KMS Decrypt of a data key: %w", ctx.Err())
		}
		// The flight's caller gave up (its context ended) while this one still waits: try
		// again rather than fail with another caller's cancellation.
		if f.err != nil && isContextError(f.err) && ctx.Err() == nil {
			continue
		}
		return slices.Clone(f.key), f.err
	}
	// The flight that was here may have filled the cache since it was looked at.
	if key, ok := k.cache.get(id, k.opts.Clock.Now()); ok {
		k.flightMu.Unlock()
		return key, nil
	}
	f := &decryptFlight{done: make(chan struct{})}
	k.flights[id] = f
	k.flightMu.Unlock()

	f.key, f.err = k.decrypt(ctx, ref)
	if f.err == nil {
		k.cache.put(id, f.key, k.opts.Clock.Now().Add(k.opts.TTL))
	}
	k.flightMu.Lock()
	delete(k.flights, id)
	k.flightMu.Unlock()
	close(f.done)
	return slices.Clone(f.key), f.err
}

// isContextError reports whether err comes from a context that ended.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// decrypt asks KMS for the data key that blob encrypts.
func (k *KMSKeys) decrypt(ctx context.Context, blob []byte) ([]byte, error) {
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    blob,
		EncryptionContext: k.opts.EncryptionContext,
	})
	if err != nil {
		return nil, fmt.Errorf("codec: KMS Decrypt of a data key: %w", err)
	}
	if len(out.Plaintext) != KeySize {
		return nil, fmt.Errorf("codec: KMS Decrypt returned a %d-byte data key, want %d", len(out.Plaintext), KeySize)
	}
	return out.Plaintext, nil
}

// String names the KMS key; it never shows key material.
func (k *KMSKeys) String() string { return fmt.Sprintf("codec.KMSKeys{KeyID: %q}", k.opts.KeyID) }

// GoString is String, so that %#v shows no key material either.
func (k *KMSKeys) GoString() string { return k.String() }

// NewKMS returns the codec hookflow's AWS functions store payloads with: values compressed,
// then encrypted under data keys of the KMS key keyID (NewKMSKeys with its defaults). Every
// function, CLI and client of one deployment must use the same key.
func NewKMS(client KMSAPI, keyID string) (Codec, error) {
	keys, err := NewKMSKeys(client, KMSOptions{KeyID: keyID})
	if err != nil {
		return nil, err
	}
	return New(Options{Compress: true, Keys: keys})
}
