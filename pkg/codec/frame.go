package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits of the frame.
const (
	// MinCompressSize is the size under which Options.Compress leaves a value as it is:
	// deflating shorter values rarely pays for itself.
	MinCompressSize = 64
	// MaxDecodedSize caps what a deflated frame may inflate to, so that a crafted frame (a
	// deflate bomb) cannot exhaust memory. Encode does not deflate larger values, so every
	// frame it writes decodes.
	MaxDecodedSize = 8 << 20
	// MaxRefSize caps the key reference of an encrypted frame (a KMS CiphertextBlob is
	// at most 6 KiB).
	MaxRefSize = 8 << 10
)

// Layout of the frame; see the package documentation.
const (
	formatVersion byte = 1

	flagDeflated  byte = 1 << 0
	flagEncrypted byte = 1 << 1
	knownFlags         = flagDeflated | flagEncrypted

	headerSize    = len(magic) + 2 // magic, version, flags
	maxUvarintLen = binary.MaxVarintLen64
)

// magic starts every frame. A zero byte first: JSON text, and the other values hookflow
// stores, never start with one.
var magic = [4]byte{0x00, 'h', 'f', 'c'}

// IsEncoded reports whether b starts with the frame magic, that is whether Decode reads it as
// a frame rather than returning it as it is.
func IsEncoded(b []byte) bool {
	return len(b) >= len(magic) && [4]byte(b[:len(magic)]) == magic
}

// isMagicPrefix reports whether b is a non-empty proper prefix of the magic: a frame cut
// short, never a value of its own.
func isMagicPrefix(b []byte) bool {
	return len(b) > 0 && len(b) < len(magic) && bytes.HasPrefix(magic[:], b)
}

// appendHeader appends the header of a frame with flags to dst: the magic, the version, the
// flags and, when the flags say encrypted, the reference with its length.
func appendHeader(dst []byte, flags byte, ref []byte) []byte {
	dst = append(dst, magic[:]...)
	dst = append(dst, formatVersion, flags)
	if flags&flagEncrypted != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(ref)))
		dst = append(dst, ref...)
	}
	return dst
}

// frame is a parsed frame. Its slices point into the stored bytes.
type frame struct {
	flags  byte
	header []byte // magic to the end of the reference: the additional data of an encrypted frame
	ref    []byte // encrypted frames: the key reference
	nonce  []byte // encrypted frames: the GCM nonce
	sealed []byte // encrypted frames: the GCM ciphertext and tag
	body   []byte // other frames: the (possibly deflated) value
}

func (f frame) encrypted() bool { return f.flags&flagEncrypted != 0 }
func (f frame) deflated() bool  { return f.flags&flagDeflated != 0 }

// parseFrame splits b, which starts with the magic, into its parts, checking every length
// against what is there.
func parseFrame(b []byte) (frame, error) {
	if len(b) < headerSize {
		return frame{}, fmt.Errorf("frame truncated to %d bytes, inside its %d-byte header", len(b), headerSize)
	}
	if v := b[len(magic)]; v != formatVersion {
		return frame{}, fmt.Errorf("unknown frame format version %d (this build reads version %d)", v, formatVersion)
	}
	f := frame{flags: b[len(magic)+1]}
	if unknown := f.flags &^ knownFlags; unknown != 0 {
		return frame{}, fmt.Errorf("unknown frame flags %#02x", unknown)
	}
	rest := b[headerSize:]
	if !f.encrypted() {
		f.header, f.body = b[:headerSize], rest
		return f, nil
	}
	n, size := binary.Uvarint(rest)
	if size <= 0 {
		return frame{}, errors.New("frame truncated or corrupt in the length of its key reference")
	}
	if n > MaxRefSize {
		return frame{}, fmt.Errorf("frame's key reference claims %d bytes, more than %d", n, MaxRefSize)
	}
	rest = rest[size:]
	if n > uint64(len(rest)) {
		return frame{}, fmt.Errorf("frame truncated inside its %d-byte key reference", n)
	}
	f.ref, rest = rest[:n], rest[n:]
	f.header = b[:len(b)-len(rest)]
	if len(rest) < nonceSize+tagSize {
		return frame{}, fmt.Errorf("frame truncated: %d bytes after the key reference, a nonce and a tag need %d", len(rest), nonceSize+tagSize)
	}
	f.nonce, f.sealed = rest[:nonceSize], rest[nonceSize:]
	return f, nil
}

// describeRef renders a key reference for an error message: quoted when it is short
// printable text (a local key ID), else its length and first bytes (a KMS blob, which is
// ciphertext, not key material).
func describeRef(ref []byte) string {
	const show = 16
	printable := utf8.Valid(ref) && len(ref) <= 255
	for _, r := range string(ref) {
		if r < 0x20 || r == 0x7f {
			printable = false
			break
		}
	}
	if printable {
		return fmt.Sprintf("%q", ref)
	}
	if len(ref) <= show {
		return fmt.Sprintf("%x", ref)
	}
	return fmt.Sprintf("%x... (%d bytes)", ref[:show], len(ref))
}
