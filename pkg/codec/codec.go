package codec

import (
	"context"
	"errors"
	"fmt"
)

// Codec turns a stored value into the bytes kept in storage and back. A Codec is safe for
// concurrent use.
type Codec interface {
	// Encode returns the bytes to store for plain. An empty or nil plain is returned as it
	// is.
	Encode(ctx context.Context, plain []byte) ([]byte, error)
	// Decode returns the value that Encode turned into stored. A value that is not a frame
	// (one stored before the codec was turned on) is returned as it is. Every failure
	// matches ErrDecode.
	Decode(ctx context.Context, stored []byte) ([]byte, error)
}

// ErrDecode is matched (errors.Is) by every error of Decode: an unknown key ID, a frame that
// fails authentication (altered, or encrypted with another key), a KMS error, a truncated
// frame, an unknown format version or flag, a value that inflates past MaxDecodedSize. The
// cause is wrapped too, so errors.Is and errors.As find it as well.
var ErrDecode = errors.New("codec: cannot decode a stored value")

// decodeError wraps cause in ErrDecode.
func decodeError(cause error) error {
	return fmt.Errorf("%w: %w", ErrDecode, cause)
}

// Options configure the Codec that New returns. At least one of Compress and Keys must be
// set.
type Options struct {
	// Compress deflates values of at least MinCompressSize bytes when that makes them
	// smaller (a flag in the frame says so). Default: false.
	Compress bool
	// Keys supplies the AES-256-GCM data keys that values are encrypted with: LocalKeys for
	// the embedded backend and tests, KMSKeys on AWS. Default: nil, no encryption.
	Keys KeyProvider
	// RequireEncryption makes Decode refuse, with ErrDecode, every value that is not an
	// encrypted frame: values stored before the codec (or encryption) was turned on, and
	// values altered so that they no longer read as an encrypted frame. Turn it on once
	// every stored value was written with Keys set. Requires Keys. Default: false, such
	// values are read as they are.
	RequireEncryption bool
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	if !o.Compress && o.Keys == nil {
		errs = append(errs, errors.New("codec: Options sets neither Compress nor Keys: the codec would do nothing"))
	}
	if o.RequireEncryption && o.Keys == nil {
		errs = append(errs, errors.New("codec: Options.RequireEncryption needs Options.Keys"))
	}
	return errors.Join(errs...)
}

// New returns the Codec that opts describe. It writes the frame described in the package
// documentation.
func New(opts Options) (Codec, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &frameCodec{opts: opts}, nil
}

// frameCodec is the Codec of New.
type frameCodec struct {
	opts Options
}

// Encode implements Codec.
func (c *frameCodec) Encode(ctx context.Context, plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return plain, nil
	}
	var flags byte
	body := plain
	if c.opts.Compress && len(plain) >= MinCompressSize && len(plain) <= MaxDecodedSize {
		deflated, err := deflate(plain)
		if err != nil {
			return nil, fmt.Errorf("codec: encode: deflate: %w", err)
		}
		if len(deflated) < len(plain) {
			body, flags = deflated, flags|flagDeflated
		}
	}
	if c.opts.Keys == nil {
		out := make([]byte, 0, headerSize+len(body))
		out = appendHeader(out, flags, nil)
		return append(out, body...), nil
	}
	return c.seal(ctx, flags|flagEncrypted, body)
}

// seal encrypts body under a data key of c's KeyProvider into a frame with flags.
func (c *frameCodec) seal(ctx context.Context, flags byte, body []byte) ([]byte, error) {
	key, ref, err := c.opts.Keys.DataKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("codec: encode: get a data key: %w", err)
	}
	if len(ref) > MaxRefSize {
		return nil, fmt.Errorf("codec: encode: the key provider's reference is %d bytes, more than %d", len(ref), MaxRefSize)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("codec: encode: the key provider's data key: %w", err)
	}
	out := make([]byte, 0, headerSize+maxUvarintLen+len(ref)+nonceSize+len(body)+aead.Overhead())
	out = appendHeader(out, flags, ref)
	aad := out
	nonce, err := randomNonce()
	if err != nil {
		return nil, fmt.Errorf("codec: encode: %w", err)
	}
	out = append(out, nonce...)
	// The header (magic, version, flags, reference) is the additional data, so that none of
	// it can be changed without failing authentication.
	return aead.Seal(out, nonce, body, aad), nil
}

// Decode implements Codec.
func (c *frameCodec) Decode(ctx context.Context, stored []byte) ([]byte, error) {
	if !IsEncoded(stored) {
		if isMagicPrefix(stored) {
			return nil, decodeError(fmt.Errorf("frame truncated to %d bytes, inside its magic", len(stored)))
		}
		if c.opts.RequireEncryption && len(stored) > 0 {
			return nil, decodeError(errors.New("value is not an encrypted frame and Options.RequireEncryption is set"))
		}
		return stored, nil
	}
	f, err := parseFrame(stored)
	if err != nil {
		return nil, decodeError(err)
	}
	body := f.body
	if f.encrypted() {
		if body, err = c.open(ctx, f); err != nil {
			return nil, decodeError(err)
		}
	} else if c.opts.RequireEncryption {
		return nil, decodeError(errors.New("frame is not encrypted and Options.RequireEncryption is set"))
	}
	if f.deflated() {
		if body, err = inflate(body, MaxDecodedSize); err != nil {
			return nil, decodeError(err)
		}
	} else if !f.encrypted() {
		// A copy, so that the caller may keep the value without keeping stored alive or
		// seeing later changes to it, as with every other kind of frame.
		body = append([]byte(nil), body...)
	}
	return body, nil
}

// open authenticates and decrypts the body of the encrypted frame f.
func (c *frameCodec) open(ctx context.Context, f frame) ([]byte, error) {
	if c.opts.Keys == nil {
		return nil, errors.New("value is encrypted and the codec has no keys (Options.Keys)")
	}
	key, err := c.opts.Keys.Key(ctx, f.ref)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("the key provider's key for reference %s: %w", describeRef(f.ref), err)
	}
	plain, err := aead.Open(nil, f.nonce, f.sealed, f.header)
	if err != nil {
		return nil, fmt.Errorf("authentication failed with the key of reference %s: the value was altered or encrypted with another key", describeRef(f.ref))
	}
	return plain, nil
}

// NoKeys returns the codec of a reader that has no keys: it stores values as they are, reads
// values stored as they are or compressed, and refuses an encrypted value with ErrDecode
// saying that keys are needed, rather than handing its ciphertext on as if it were the value.
// The functions, the CLI, the dev server and the deploy gate use it when no codec is set.
func NoKeys() Codec { return noKeys{reader: &frameCodec{opts: Options{Compress: true}}} }

// noKeys is the Codec of NoKeys.
type noKeys struct{ reader Codec }

// Encode returns plain as it is.
func (noKeys) Encode(_ context.Context, plain []byte) ([]byte, error) { return plain, nil }

// Decode reads plain and compressed values and refuses encrypted ones.
func (n noKeys) Decode(ctx context.Context, stored []byte) ([]byte, error) {
	return n.reader.Decode(ctx, stored)
}
