package verify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	env := []string{"env:WEBHOOK_SECRET"}
	for _, tc := range []struct {
		name string
		spec verify.Spec
		want []string // substrings of the error; none: valid
	}{
		{name: "github", spec: verify.Spec{Kind: "github", Secrets: env}},
		{name: "stripe with tolerance", spec: verify.Spec{Kind: "stripe", Secrets: env, Tolerance: time.Minute}},
		{name: "slack", spec: verify.Spec{Kind: "slack", Secrets: env}},
		{name: "shopify", spec: verify.Spec{Kind: "shopify", Secrets: env}},
		{name: "twilio", spec: verify.Spec{Kind: "twilio", Secrets: env}},
		{name: "standard with tolerance", spec: verify.Spec{Kind: "standard", Secrets: env, Tolerance: 10 * time.Minute}},
		{name: "hmac defaults", spec: verify.Spec{Kind: "hmac", Secrets: env, Header: "X-Signature"}},
		{name: "hmac everything", spec: verify.Spec{Kind: "hmac", Secrets: env, Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", Prefix: "sha512="}},
		{name: "hmac sha1 hex", spec: verify.Spec{Kind: "hmac", Secrets: env, Header: "X-Sig", Algorithm: "sha1", Encoding: "hex"}},
		{name: "rotation over every scheme", spec: verify.Spec{Kind: "github", Secrets: []string{
			"env:NEW_SECRET", "ssm:/hookflow/github/old", "secretsmanager:hookflow/github",
			"ssm:arn:aws:ssm:eu-west-1:123456789012:parameter/x", "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf",
		}}},

		{name: "no kind", spec: verify.Spec{Secrets: env}, want: []string{`unknown kind ""`}},
		{name: "unknown kind", spec: verify.Spec{Kind: "gitlab", Secrets: env}, want: []string{`unknown kind "gitlab"`, "github, stripe"}},
		{name: "kind in capitals", spec: verify.Spec{Kind: "GitHub", Secrets: env}, want: []string{`unknown kind "GitHub"`}},
		{name: "no secrets", spec: verify.Spec{Kind: "github"}, want: []string{"no secrets"}},
		{name: "empty secrets", spec: verify.Spec{Kind: "github", Secrets: []string{}}, want: []string{"no secrets"}},
		{name: "a raw secret", spec: verify.Spec{Kind: "github", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
			want: []string{"secret 0: malformed secret reference", `"scheme:name"`}},
		{name: "unknown scheme", spec: verify.Spec{Kind: "github", Secrets: []string{"env:A", "vault:secret/x"}},
			want: []string{`secret 1: malformed secret reference: unknown scheme "vault"`}},
		{name: "scheme in capitals", spec: verify.Spec{Kind: "github", Secrets: []string{"ENV:A"}}, want: []string{"unknown scheme (want env"}},
		{name: "no name", spec: verify.Spec{Kind: "github", Secrets: []string{"ssm:"}}, want: []string{"ssm: with no name"}},
		{name: "empty reference", spec: verify.Spec{Kind: "github", Secrets: []string{""}}, want: []string{"secret 0: malformed"}},
		{name: "name with space", spec: verify.Spec{Kind: "github", Secrets: []string{"env: A"}}, want: []string{"surrounding space"}},
		{name: "negative tolerance", spec: verify.Spec{Kind: "stripe", Secrets: env, Tolerance: -time.Second}, want: []string{"negative tolerance -1s"}},
		{name: "tolerance without a timestamp", spec: verify.Spec{Kind: "github", Secrets: env, Tolerance: time.Minute},
			want: []string{"tolerance is for the kinds that sign a timestamp", `not "github"`}},
		{name: "hmac without header", spec: verify.Spec{Kind: "hmac", Secrets: env}, want: []string{"kind hmac needs a header"}},
		{name: "hmac bad header", spec: verify.Spec{Kind: "hmac", Secrets: env, Header: "X Sig"}, want: []string{`header "X Sig" is not a valid header name`}},
		{name: "hmac bad algorithm", spec: verify.Spec{Kind: "hmac", Secrets: env, Header: "X-Sig", Algorithm: "md5"}, want: []string{`unknown algorithm "md5"`}},
		{name: "hmac algorithm in capitals", spec: verify.Spec{Kind: "hmac", Secrets: env, Header: "X-Sig", Algorithm: "SHA256"}, want: []string{`unknown algorithm "SHA256"`}},
		{name: "hmac bad encoding", spec: verify.Spec{Kind: "hmac", Secrets: env, Header: "X-Sig", Encoding: "base32"}, want: []string{`unknown encoding "base32"`}},
		{name: "hmac settings on a preset", spec: verify.Spec{Kind: "github", Secrets: env, Header: "X-Sig"}, want: []string{"are for kind hmac, not \"github\""}},
		{name: "several problems", spec: verify.Spec{Kind: "hmac", Tolerance: -1, Algorithm: "md5"},
			want: []string{"no secrets", "negative tolerance", "needs a header", `unknown algorithm "md5"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.spec.Validate()
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, verify.ErrInvalidSpec)
			require.NotErrorIs(t, err, verify.ErrInvalidSignature)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// A malformed reference may be a secret pasted by mistake: the error does not repeat it.
func TestSpecValidateDoesNotEchoASecret(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "sk_live:abcdef123456", "8f742231b10e8888abcd99yyyzzz85a5"} {
		err := verify.Spec{Kind: "stripe", Secrets: []string{secret}}.Validate()
		require.ErrorIs(t, err, verify.ErrInvalidSpec)
		require.NotContains(t, err.Error(), secret)
		require.NotContains(t, err.Error(), "abcdef123456")
	}
}

func TestSpecJSON(t *testing.T) {
	t.Parallel()
	spec := verify.Spec{Kind: "hmac", Secrets: []string{"env:A", "ssm:/b"}, Header: "X-Sig", Algorithm: "sha1", Encoding: "base64", Prefix: "sha1="}
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	require.JSONEq(t, `{"kind":"hmac","secrets":["env:A","ssm:/b"],"header":"X-Sig","algorithm":"sha1","encoding":"base64","prefix":"sha1="}`, string(b))
	var back verify.Spec
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, spec, back)

	b, err = json.Marshal(verify.Spec{Kind: "stripe", Secrets: []string{"env:S"}, Tolerance: time.Minute})
	require.NoError(t, err)
	require.JSONEq(t, `{"kind":"stripe","secrets":["env:S"],"tolerance":60000000000}`, string(b))
}
