// Package codec transforms the payloads hookflow stores (hook payloads, webhook request
// bodies and headers, step results, workflow inputs and outputs) on their way to the backend
// and back: compression, and encryption with AES-256-GCM under keys from AWS KMS (envelope
// encryption, KMSKeys) or from a keyring held in the process (LocalKeys, for the embedded
// backend and tests).
//
// A Codec made by New encodes every value into a frame and decodes it back:
//
//	keys, err := codec.ParseLocalKeys(os.Getenv("HOOKFLOW_LOCAL_KEYS")) // "k1:base64key"
//	...
//	c, err := codec.New(codec.Options{Compress: true, Keys: keys})
//	stored, err := c.Encode(ctx, payload)
//	payload, err = c.Decode(ctx, stored)
//
// On AWS the keys come from KMS:
//
//	keys, err := codec.NewKMSKeys(kms.NewFromConfig(cfg), codec.KMSOptions{KeyID: "alias/hookflow"})
//
// # Frame format
//
// A frame is, in order:
//
//	magic       4 bytes   0x00 'h' 'f' 'c'
//	version     1 byte    1
//	flags       1 byte    bit 0: the value is deflated; bit 1: it is encrypted; others 0
//	encrypted frames:
//	  ref length  uvarint   length of ref, at most MaxRefSize
//	  ref         bytes     the KeyProvider's reference to the key: a LocalKeys key ID, or
//	                        a KMS CiphertextBlob of the data key
//	  nonce       12 bytes  random
//	  ciphertext  rest      AES-256-GCM of the (possibly deflated) value with its 16-byte
//	                        tag; the additional data is the frame from the magic to the end
//	                        of ref, so none of it can be changed unnoticed
//	other frames:
//	  value       rest      the (possibly deflated) value
//
// Deflated means raw deflate (RFC 1951, compress/flate). Encode deflates only values of at
// least MinCompressSize and at most MaxDecodedSize bytes, and sets the flag only when the
// deflated bytes are smaller, so incompressible values (random bytes, values already
// compressed or encrypted) go into the frame undeflated. The value is deflated before it is
// encrypted. Every value Encode is given becomes a frame, even when neither compression nor
// encryption applies to it (6 bytes more), so that no stored value is ambiguous.
//
// # Compatibility
//
//   - Empty values: Encode returns an empty or nil value as it is, and Decode too.
//   - Values stored before the codec was turned on: Decode returns a value that does not start
//     with the magic as it is, so turning the codec on needs no migration. JSON text never
//     starts with a zero byte, so it is never taken for a frame. A value that is a non-empty
//     proper prefix of the magic is a frame cut short and fails. Once every stored value is
//     encrypted, Options.RequireEncryption makes Decode refuse values that are not.
//   - Decode reads every frame by its flags, not by the Options: a codec with keys reads the
//     unencrypted frames a compress-only codec wrote, and any codec reads deflated frames.
//   - Key rotation: LocalKeys encrypts with its primary key and decrypts with every key of
//     the ring, found by the ID in the frame; KMSKeys decrypts a data key with Decrypt, which
//     needs no key ID, so data keys made under an earlier KMSOptions.KeyID still decrypt.
//     Replay reads old values unchanged either way.
//   - The version byte lets a later format be added; this version refuses any other.
//
// # Errors
//
// Every Decode failure matches ErrDecode (errors.Is) and wraps its cause: an unknown key ID
// (ErrUnknownKey), a frame that fails authentication, a KMS error, a truncated frame, an
// unknown version or flag, a value that inflates past MaxDecodedSize. Decode never panics,
// whatever its input: every length in a frame is checked against the bytes that are there.
// Error messages name key IDs, never key material.
//
// # What is protected
//
// Encryption keeps stored values confidential, and authentication makes any change inside
// an encrypted frame fail to decode. Unencrypted frames carry no check: a compress-only
// codec guards against nothing. Unless Options.RequireEncryption is set, a value altered so
// that it is no longer an encrypted frame (its magic or its encrypted flag changed) is read
// as a plain one. A frame is not bound to the record that holds it: one stored value copied
// over another decodes.
package codec
