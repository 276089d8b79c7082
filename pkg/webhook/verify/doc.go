// Package verify checks the signatures that webhook senders put on their requests, before
// anything of a request is stored.
//
// A [Spec] says how one webhook's requests are signed: a sender preset ("github", "stripe",
// "slack", "shopify", "twilio", "standard" for Standard Webhooks) or a generic HMAC ("hmac")
// over the body. A Spec is stored with the webhook's token record, so it never holds a secret:
// its Secrets are references such as "env:GITHUB_WEBHOOK_SECRET", "ssm:/hookflow/github" or
// "secretsmanager:hookflow/stripe", which a [SecretResolver] turns into values when a request
// arrives ([EnvResolver], [SSMResolver], [SecretsManagerResolver], dispatched by scheme with a
// [MultiResolver] and cached with a [CachingResolver]). [Spec.Validate] refuses anything that is
// not a reference, so a raw secret pasted into a Spec is caught before it is stored.
//
// [Verify] takes the Spec, the resolved secret values and a [Request] (method, full URL, headers
// and the raw body) and returns nil only for a valid signature. Several secrets are a rotation:
// any one of them may match. Senders that sign a timestamp (stripe, slack, standard) are also
// held to a replay window, [Spec.Tolerance], five minutes unless set. Every refusal matches
// [ErrInvalidSignature] and one of [ErrMissingHeader], [ErrMalformedHeader],
// [ErrStaleTimestamp] or [ErrNoMatch]; a Spec or secret list that cannot be used matches
// [ErrInvalidSpec] instead, so that a caller can tell a forged request (401) from its own
// misconfiguration (500). Signatures are compared in constant time.
//
// Verification proves who sent a request, not that it is new: a valid request can be replayed
// within the tolerance window (or at any time, for senders that sign no timestamp). Callers
// deduplicate on the sender's delivery id, whose header [DeliveryIDHeader] names.
package verify
