package inspector

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// body is a request or response body as a page shows it.
type body struct {
	Size int
	// Kind is "empty", "json" (Text indented), "text" (Text as it is) or "binary" (Hex: a
	// dump of its first bytes).
	Kind string
	Text string
	Hex  string
	// Shown is how many bytes Hex shows; Clipped, that it is fewer than Size.
	Shown   int
	Clipped bool
}

// maxHexBytes bounds the hex dump of a binary body.
const maxHexBytes = 1 << 10

// showBody classifies b: JSON is indented, text shown as it is (the template escapes it),
// anything else is binary and dumped in hex.
func showBody(b []byte) body {
	out := body{Size: len(b)}
	switch {
	case len(b) == 0:
		out.Kind = "empty"
	case json.Valid(b):
		out.Kind, out.Text = "json", prettyJSON(b)
	case isText(b):
		out.Kind, out.Text = "text", string(b)
	default:
		out.Kind, out.Shown = "binary", min(len(b), maxHexBytes)
		out.Hex, out.Clipped = hex.Dump(b[:out.Shown]), out.Shown < len(b)
	}
	return out
}

// bodyText is b on one page line: JSON indented, text, or its size when binary.
func bodyText(b []byte) string {
	switch s := showBody(b); s.Kind {
	case "binary":
		return fmt.Sprintf("(%d bytes of binary data)", s.Size)
	default:
		return s.Text
	}
}

// isText tells UTF-8 text from binary: valid UTF-8 without control characters other than
// tabs, line feeds and carriage returns.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}
