package verify_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

func TestHandshakeValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, verify.Handshake{Kind: verify.HandshakeSlack}.Validate())
	require.NoError(t, verify.Handshake{Kind: verify.HandshakeHub, VerifyToken: "env:META_VERIFY_TOKEN"}.Validate())
	for _, h := range []verify.Handshake{
		{Kind: "fax"},
		{Kind: verify.HandshakeHub},
		{Kind: verify.HandshakeHub, VerifyToken: "my-token"},
		{Kind: verify.HandshakeSlack, VerifyToken: "env:X"},
	} {
		require.ErrorIs(t, h.Validate(), verify.ErrInvalidSpec, "%+v", h)
	}
}

func TestHandshakeAnswer(t *testing.T) {
	t.Parallel()
	slack := verify.Handshake{Kind: verify.HandshakeSlack}
	answer, ct, ok, err := slack.Answer(verify.Request{Method: http.MethodPost, Body: []byte(
		`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)}, nil)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "application/json", ct)
	require.JSONEq(t, `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`, string(answer))
	for _, body := range []string{`{"type":"event_callback","challenge":"x"}`, `{"type":"url_verification"}`, `not json`} {
		_, _, ok, err := slack.Answer(verify.Request{Method: http.MethodPost, Body: []byte(body)}, nil)
		require.NoError(t, err)
		require.False(t, ok, "an ordinary delivery: %s", body)
	}

	hub := verify.Handshake{Kind: verify.HandshakeHub, VerifyToken: "env:T"}
	get := func(query string) verify.Request {
		return verify.Request{Method: http.MethodGet, URL: "https://api.test/.well-known/workflow/v1/webhook/tok?" + query}
	}
	answer, ct, ok, err = hub.Answer(get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"), []byte("meatyhamhock"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "1158201444", string(answer))
	require.Equal(t, "text/plain; charset=utf-8", ct)
	_, _, ok, err = hub.Answer(get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess"), []byte("meatyhamhock"))
	require.True(t, ok, "a handshake with the wrong verify token is still the handshake")
	require.ErrorIs(t, err, verify.ErrInvalidSignature)
	_, _, ok, err = hub.Answer(get("hub.mode=subscribe&hub.challenge=1&hub.verify_token="), nil)
	require.True(t, ok)
	require.ErrorIs(t, err, verify.ErrInvalidSignature, "no configured token matches nothing")
	for _, r := range []verify.Request{get("hub.mode=unsubscribe&hub.challenge=1"), get("a=1"), {Method: http.MethodPost, URL: "https://api.test/x?hub.mode=subscribe&hub.challenge=1"}} {
		_, _, ok, err := hub.Answer(r, []byte("meatyhamhock"))
		require.NoError(t, err)
		require.False(t, ok, "%+v", r)
	}
}
