package codec

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
)

// flate writers and readers are pooled: a new writer allocates several hundred kilobytes,
// more than most values it compresses.
var (
	writers = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.DefaultCompression) // the level is valid: no error
		return w
	}}
	readers = sync.Pool{New: func() any { return flate.NewReader(nil) }}
)

// deflate returns plain compressed with raw deflate.
func deflate(plain []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(plain) / 2)
	w := writers.Get().(*flate.Writer)
	defer writers.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inflate returns the raw deflate stream b decompressed, failing when it is corrupt,
// truncated, followed by other bytes, or inflates to more than limit bytes.
func inflate(b []byte, limit int) ([]byte, error) {
	src := bytes.NewReader(b)
	r := readers.Get().(io.ReadCloser)
	defer readers.Put(r)
	if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	var out bytes.Buffer
	n, err := out.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("inflate: the value inflates to more than %d bytes", limit)
	}
	if src.Len() != 0 {
		return nil, fmt.Errorf("inflate: %d bytes after the end of the deflate stream", src.Len())
	}
	return out.Bytes(), nil
}
