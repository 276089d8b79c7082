package engine

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeStepData decodes a step event's data. Replay spends most of its time here, so the
// common shape that json.Marshal writes for a completed step,
//
//	{"name":"<name>","attempt":<n>,"result":<json>}
//
// is read directly (a name with escapes, or any other shape, takes the general path).
func decodeStepData(raw []byte, d *stepData) error {
	if fastStepData(raw, d) {
		return nil
	}
	*d = stepData{}
	return json.Unmarshal(raw, d)
}

var (
	prefixName    = []byte(`{"name":"`)
	prefixAttempt = []byte(`","attempt":`)
	prefixResult  = []byte(`,"result":`)
)

// plainString reports whether b is the inside of a JSON string that needs no decoding: valid
// UTF-8, no escapes, no control characters.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.Valid(b)
}

func fastStepData(raw []byte, d *stepData) bool {
	rest, ok := bytes.CutPrefix(raw, prefixName)
	if !ok {
		return false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || !plainString(rest[:end]) {
		return false
	}
	name := rest[:end]
	rest, ok = bytes.CutPrefix(rest[end:], prefixAttempt)
	if !ok {
		return false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n > 9 || (n > 1 && rest[0] == '0') {
		return false
	}
	attempt, err := strconv.Atoi(string(rest[:n]))
	if err != nil {
		return false
	}
	rest = rest[n:]
	var result []byte
	switch {
	case len(rest) == 1 && rest[0] == '}':
	case bytes.HasPrefix(rest, prefixResult) && len(rest) > len(prefixResult)+1 && rest[len(rest)-1] == '}':
		result = rest[len(prefixResult) : len(rest)-1]
		// The result must be the last field: anything that could be another key after it
		// (error, retryAt) sends the data down the general path.
		if bytes.Contains(result, []byte(`,"error":`)) || bytes.Contains(result, []byte(`,"retryAt":`)) || !json.Valid(result) {
			return false
		}
	default:
		return false
	}
	*d = stepData{Name: string(name), Attempt: attempt, Result: result}
	return true
}
