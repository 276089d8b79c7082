package verify

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The kinds a Spec may name: the sender presets and the generic HMAC.
const (
	KindGitHub   = "github"   // X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the body
	KindStripe   = "stripe"   // Stripe-Signature: "t=…,v1=…", hex HMAC-SHA256 of "{t}.{body}"
	KindSlack    = "slack"    // X-Slack-Signature: "v0=" + hex HMAC-SHA256 of "v0:{ts}:{body}"
	KindShopify  = "shopify"  // X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the body
	KindTwilio   = "twilio"   // X-Twilio-Signature: base64 HMAC-SHA1 of the URL (+ sorted form parameters)
	KindStandard = "standard" // Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
	KindHMAC     = "hmac"     // a configured header carrying an HMAC of the body
)

// The schemes a secret reference may use: "env:NAME", "ssm:/parameter/name", "secretsmanager:name".
const (
	SchemeEnv            = "env"
	SchemeSSM            = "ssm"
	SchemeSecretsManager = "secretsmanager"
)

// DefaultTolerance is the replay window for the senders that sign a timestamp (stripe, slack,
// standard) when a Spec sets none.
const DefaultTolerance = 5 * time.Minute

// ErrInvalidSpec is matched by the errors of Spec.Validate, and by the error Verify returns
// when it cannot verify at all (an invalid Spec, or secret values that do not fit it).
var ErrInvalidSpec = errors.New("verify: invalid verification spec")

// Spec is a JSON-serializable description of how a webhook's requests are verified. It is
// stored with the webhook's token record, so it must never hold a secret: it names secrets.
type Spec struct {
	// Kind is the sender preset or "hmac": "github", "stripe", "slack", "shopify", "twilio",
	// "standard" (Standard Webhooks) or "hmac".
	Kind string `json:"kind"`
	// Secrets are references to the signing secrets, e.g. "env:GITHUB_WEBHOOK_SECRET",
	// "ssm:/name" or "secretsmanager:name". Several are a rotation: any one may match.
	Secrets []string `json:"secrets"`
	// Tolerance is the replay window for the senders that sign a timestamp (stripe, slack,
	// standard): a request whose signed timestamp is further than this from now, either way, is
	// refused. Zero means DefaultTolerance (5 minutes).
	Tolerance time.Duration `json:"tolerance,omitempty"`

	// Header is the header carrying the signature (kind "hmac" only).
	Header string `json:"header,omitempty"`
	// Algorithm is the HMAC's hash (kind "hmac" only): "sha256" (the default), "sha1" or "sha512".
	Algorithm string `json:"algorithm,omitempty"`
	// Encoding is how the header spells the HMAC (kind "hmac" only): "hex" (the default) or
	// "base64" (standard alphabet, padded).
	Encoding string `json:"encoding,omitempty"`
	// Prefix is a literal that precedes the encoded HMAC in the header, e.g. "sha256=" (kind
	// "hmac" only). When set, a header without it is refused.
	Prefix string `json:"prefix,omitempty"`
}

var kinds = []string{KindGitHub, KindStripe, KindSlack, KindShopify, KindTwilio, KindStandard, KindHMAC}

// timestamped reports whether kind signs a timestamp, and so has a replay window.
func timestamped(kind string) bool {
	return kind == KindStripe || kind == KindSlack || kind == KindStandard
}

// Validate reports what makes s unusable, naming each problem: an unknown kind, no secrets, a
// malformed secret reference (it must be "scheme:name" with scheme env, ssm or secretsmanager,
// which also keeps a raw secret out of the Spec), a negative tolerance or one set for a kind
// that signs no timestamp, an "hmac" Spec without a header or with an unknown algorithm or
// encoding, and hmac settings on a preset. The error matches ErrInvalidSpec.
func (s Spec) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	known := false
	for _, k := range kinds {
		known = known || s.Kind == k
	}
	if !known {
		add("unknown kind %q (want one of %s)", s.Kind, strings.Join(kinds, ", "))
	}
	if len(s.Secrets) == 0 {
		add("no secrets: name at least one secret reference")
	}
	for i, ref := range s.Secrets {
		if _, _, err := parseRef(ref); err != nil {
			// The reference is not echoed: a malformed one may be a secret pasted in by mistake.
			add("secret %d: %v", i, err)
		}
	}
	switch {
	case s.Tolerance < 0:
		add("negative tolerance %v", s.Tolerance)
	case s.Tolerance > 0 && known && !timestamped(s.Kind):
		add("tolerance is for the kinds that sign a timestamp (stripe, slack, standard), not %q", s.Kind)
	}
	if s.Kind == KindHMAC {
		switch {
		case s.Header == "":
			add("kind hmac needs a header")
		case !validHeaderName(s.Header):
			add("header %q is not a valid header name", s.Header)
		}
		if _, ok := hmacHash(s.Algorithm); !ok {
			add("unknown algorithm %q (want sha256, sha1 or sha512)", s.Algorithm)
		}
		if s.Encoding != "" && s.Encoding != "hex" && s.Encoding != "base64" {
			add("unknown encoding %q (want hex or base64)", s.Encoding)
		}
	} else if known && (s.Header != "" || s.Algorithm != "" || s.Encoding != "" || s.Prefix != "") {
		add("header, algorithm, encoding and prefix are for kind hmac, not %q", s.Kind)
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidSpec, strings.Join(problems, "; "))
}

// tolerance is s.Tolerance, or DefaultTolerance when it is zero.
func (s Spec) tolerance() time.Duration {
	if s.Tolerance > 0 {
		return s.Tolerance
	}
	return DefaultTolerance
}

// parseRef splits a secret reference "scheme:name" and checks the scheme. Its errors never
// quote the reference, which might be a secret given by mistake.
func parseRef(ref string) (scheme, name string, err error) {
	scheme, name, ok := strings.Cut(ref, ":")
	switch {
	case !ok:
		return "", "", errors.New(`malformed secret reference: want "scheme:name" with scheme env, ssm or secretsmanager`)
	case scheme != SchemeEnv && scheme != SchemeSSM && scheme != SchemeSecretsManager:
		if plainWord(scheme) { // a scheme-like word is safe to name; anything else may be secret
			return "", "", fmt.Errorf("malformed secret reference: unknown scheme %q (want env, ssm or secretsmanager)", scheme)
		}
		return "", "", errors.New("malformed secret reference: unknown scheme (want env, ssm or secretsmanager)")
	case name == "":
		return "", "", fmt.Errorf("malformed secret reference: %s: with no name", scheme)
	case strings.TrimSpace(name) != name:
		return "", "", fmt.Errorf("malformed secret reference: %s: name with surrounding space", scheme)
	}
	return scheme, name, nil
}

// plainWord reports whether s is a short run of lower-case letters, like a scheme name.
func plainWord(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// validHeaderName reports whether name is an HTTP field name (RFC 9110 token).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
