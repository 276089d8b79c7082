package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The fast path and encoding/json agree on everything json.Marshal writes for a step, and on
// anything else the fast path accepts.
func TestDecodeStepDataMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []stepData{
		{Name: "charge", Attempt: 1, Result: json.RawMessage(`4200`)},
		{Name: "charge", Attempt: 2, Result: json.RawMessage(`{"a":[1,2,{"error":"x"}],"b":"},\"retryAt\":"}`)},
		{Name: "no-result", Attempt: 3},
		{Name: `quote"and\backslash`, Attempt: 1, Result: json.RawMessage(`"s"`)},
		{Name: "é 漢字", Attempt: 12, Result: json.RawMessage(`null`)},
		{Name: "failed", Attempt: 4, Error: json.RawMessage(`{"message":"boom"}`)},
		{Name: "retrying", Attempt: 1, Error: json.RawMessage(`{"message":"x"}`), RetryAt: time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)},
	}
	for _, c := range cases {
		raw, err := json.Marshal(c)
		require.NoError(t, err)
		var got stepData
		require.NoError(t, decodeStepData(raw, &got))
		var want stepData
		require.NoError(t, json.Unmarshal(raw, &want))
		require.Equal(t, want.Name, got.Name)
		require.Equal(t, want.Attempt, got.Attempt)
		require.JSONEq(t, string(orNull(want.Result)), string(orNull(got.Result)))
		require.Equal(t, string(want.Error), string(got.Error))
		require.True(t, want.RetryAt.Equal(got.RetryAt))
	}
	var d stepData
	require.Error(t, decodeStepData([]byte(`{"name":"x","attempt":1,"result":}`), &d), "corrupt data is still an error")
	require.Error(t, decodeStepData([]byte(`nope`), &d))
}

func orNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage(`null`)
	}
	return r
}

func FuzzDecodeStepData(f *testing.F) {
	f.Add([]byte(`{"name":"a","attempt":1,"result":1}`))
	f.Add([]byte(`{"name":"a","attempt":1}`))
	f.Add([]byte(`{"name":"a","attempt":1,"result":{"x":"},\"error\":1"},"error":{"message":"m"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var fast stepData
		if !fastStepData(raw, &fast) {
			return
		}
		var want stepData
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses: %q: %v", raw, err)
		}
		if want.Name != fast.Name || want.Attempt != fast.Attempt || string(orNull(want.Result)) != string(orNull(fast.Result)) || want.Error != nil || !want.RetryAt.IsZero() {
			t.Fatalf("fast path disagrees on %q: got %+v, want %+v", raw, fast, want)
		}
	})
}
