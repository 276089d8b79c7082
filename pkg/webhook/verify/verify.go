package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// ErrInvalidSignature is matched by every refusal of Verify. The error also matches one of
// ErrMissingHeader, ErrMalformedHeader, ErrStaleTimestamp or ErrNoMatch, the reason.
var ErrInvalidSignature = errors.New("verify: invalid webhook signature")

// The reasons a refusal of Verify gives, each matched alongside ErrInvalidSignature.
var (
	// ErrMissingHeader: a header the sender always signs with is absent or empty.
	ErrMissingHeader = errors.New("missing header")
	// ErrMalformedHeader: a signature or timestamp header does not parse as the sender spells it.
	ErrMalformedHeader = errors.New("malformed header")
	// ErrStaleTimestamp: the signed timestamp is further from now than the Spec's tolerance.
	ErrStaleTimestamp = errors.New("timestamp outside the tolerance")
	// ErrNoMatch: the signature is well formed but made with none of the secrets over this
	// request (a wrong secret, or an altered body, URL or timestamp).
	ErrNoMatch = errors.New("no signature matches")
)

// Request is what a verifier sees of an HTTP request: the method, the full URL the sender used
// (scheme, host, path and query, as the sender spelled it: Twilio signs it), the headers, and the
// raw body exactly as received.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// The headers the presets read.
const (
	headerGitHub          = "X-Hub-Signature-256"
	headerStripe          = "Stripe-Signature"
	headerSlackSignature  = "X-Slack-Signature"
	headerSlackTimestamp  = "X-Slack-Request-Timestamp"
	headerShopify         = "X-Shopify-Hmac-Sha256"
	headerTwilio          = "X-Twilio-Signature"
	headerStandardID      = "webhook-id"
	headerStandardTime    = "webhook-timestamp"
	headerStandardSig     = "webhook-signature"
	standardSecretPrefix  = "whsec_"
	twilioBodyHashParam   = "bodySHA256"
	formContentType       = "application/x-www-form-urlencoded"
	maxUnixTimestampDigit = 18 // keeps a parsed timestamp far from int64 overflow
)

// DeliveryIDHeader names the header in which a sender of that kind puts the id of a delivery,
// the key to deduplicate retried deliveries on: "X-GitHub-Delivery" for github, "webhook-id"
// for standard, "X-Shopify-Webhook-Id" for shopify, "I-Twilio-Idempotency-Token" for twilio.
// It is "" for stripe (the id is the JSON body's "id"), for slack (none is sent; Events API
// bodies carry "event_id") and for hmac or an unknown kind.
func DeliveryIDHeader(kind string) string {
	switch kind {
	case KindGitHub:
		return "X-GitHub-Delivery"
	case KindStandard:
		return headerStandardID
	case KindShopify:
		return "X-Shopify-Webhook-Id"
	case KindTwilio:
		return "I-Twilio-Idempotency-Token"
	}
	return ""
}

// SignatureHeaders names the headers that carry spec's signature, which a verified request
// need not keep once checked: "X-Hub-Signature-256" for github, "Stripe-Signature" for
// stripe, "X-Slack-Signature" for slack, "X-Shopify-Hmac-Sha256" for shopify,
// "X-Twilio-Signature" for twilio, "webhook-signature" for standard, and spec.Header for hmac.
func SignatureHeaders(spec Spec) []string {
	switch spec.Kind {
	case KindGitHub:
		return []string{headerGitHub}
	case KindStripe:
		return []string{headerStripe}
	case KindSlack:
		return []string{headerSlackSignature}
	case KindShopify:
		return []string{headerShopify}
	case KindTwilio:
		return []string{headerTwilio}
	case KindStandard:
		return []string{headerStandardSig}
	case KindHMAC:
		if spec.Header != "" {
			return []string{spec.Header}
		}
	}
	return nil
}

// Verify checks r against spec with the resolved secret values (in the same order as
// spec.Secrets; any one matching is enough), at time now. It returns nil when a signature is
// valid. A refusal matches ErrInvalidSignature and wraps its reason: ErrMissingHeader,
// ErrMalformedHeader, ErrStaleTimestamp or ErrNoMatch. When spec is invalid, or secrets do not
// fit it (a different count, an empty value, a Standard Webhooks secret that is not base64),
// nothing can be verified and the error matches ErrInvalidSpec instead: the caller's
// misconfiguration, not the sender's fault. No error carries a secret or a computed signature.
//
// The presets compute, as each sender documents:
//   - github: X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(secret, body)). The legacy
//     SHA-1 X-Hub-Signature is not accepted.
//   - stripe: Stripe-Signature = "t={ts},v1={sig}[,v1={sig}…]" (other schemes ignored), each sig
//     hex(HMAC-SHA256(secret, "{ts}.{body}")); any v1 may match. The secret is the endpoint's
//     "whsec_…" signing secret used as is.
//   - slack: X-Slack-Signature = "v0=" + hex(HMAC-SHA256(secret, "v0:{ts}:{body}")) with ts the
//     X-Slack-Request-Timestamp header.
//   - shopify: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, body)).
//   - twilio: X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + params)). For a POST with a
//     form-encoded body, params are the body's parameters sorted by name (the values of a
//     repeated name sorted too), each name followed by its value, decoded, with no delimiters.
//     For a JSON (or any other) body Twilio appends nothing but adds a bodySHA256 query
//     parameter to the URL, the hex SHA-256 of the body, and signs the URL as is: the body is
//     then checked against that parameter. A non-empty body that is neither form-encoded nor
//     covered by bodySHA256 is refused, as the signature would not cover it. As Twilio's own
//     libraries do, the URL is also tried without its port, or with the scheme's default port
//     when it has none.
//   - standard (Standard Webhooks): webhook-signature holds space-separated "v1,{base64}"
//     entries (other versions ignored), each base64(HMAC-SHA256(key, "{id}.{ts}.{body}")) with
//     id and ts the webhook-id and webhook-timestamp headers and key the secret base64-decoded
//     after an optional "whsec_" prefix is stripped.
//   - hmac: the Spec's Header holds Prefix + the Spec's Encoding of HMAC-{Algorithm}(secret, body).
//
// For stripe, slack and standard, a timestamp further than spec.Tolerance (default 5 minutes)
// from now, in either direction, is refused as stale. Header names are matched without regard
// to case, even in a Header map whose keys are not in canonical form.
func Verify(spec Spec, secrets [][]byte, r Request, now time.Time) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if len(secrets) != len(spec.Secrets) {
		return fmt.Errorf("%w: %d secret values for %d secret references", ErrInvalidSpec, len(secrets), len(spec.Secrets))
	}
	for i, s := range secrets {
		if len(s) == 0 {
			return fmt.Errorf("%w: secret %d is empty", ErrInvalidSpec, i)
		}
	}
	switch spec.Kind {
	case KindGitHub:
		return verifyGitHub(secrets, r)
	case KindStripe:
		return verifyStripe(secrets, r, now, spec.tolerance())
	case KindSlack:
		return verifySlack(secrets, r, now, spec.tolerance())
	case KindShopify:
		return verifyShopify(secrets, r)
	case KindTwilio:
		return verifyTwilio(secrets, r)
	case KindStandard:
		keys, err := standardKeys(secrets)
		if err != nil {
			return err
		}
		return verifyStandard(keys, r, now, spec.tolerance())
	default: // KindHMAC; Validate refused anything else
		return verifyHMAC(spec, secrets, r)
	}
}

// refusal is the error of a refused request: ErrInvalidSignature, a reason, and a detail that
// names headers, never values.
type refusal struct {
	reason error
	detail string
}

func (e *refusal) Error() string {
	return ErrInvalidSignature.Error() + ": " + e.reason.Error() + ": " + e.detail
}

func (e *refusal) Unwrap() []error { return []error{ErrInvalidSignature, e.reason} }

func refuse(reason error, format string, args ...any) error {
	return &refusal{reason: reason, detail: fmt.Sprintf(format, args...)}
}

// headerValue is the first value of the named header, trimmed, matching the name without
// regard to case even when h's keys are not canonical (a map built by hand from a Lambda event
// has lower-case keys).
func headerValue(h http.Header, name string) string {
	if v := strings.TrimSpace(h.Get(name)); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			if v := strings.TrimSpace(vs[0]); v != "" {
				return v
			}
		}
	}
	return ""
}

// need is the named header's value, or a refusal when it is missing.
func need(h http.Header, name string) (string, error) {
	if v := headerValue(h, name); v != "" {
		return v, nil
	}
	return "", refuse(ErrMissingHeader, "%s", name)
}

// anyMAC reports whether any of sigs is the HMAC, under newHash and any of keys, of the
// concatenated parts. Comparisons are constant-time.
func anyMAC(newHash func() hash.Hash, keys, sigs [][]byte, parts ...[]byte) bool {
	ok := false
	for _, key := range keys {
		mac := hmac.New(newHash, key)
		for _, p := range parts {
			mac.Write(p)
		}
		sum := mac.Sum(nil)
		for _, sig := range sigs {
			if hmac.Equal(sum, sig) {
				ok = true
			}
		}
	}
	return ok
}

// parseUnix parses a timestamp of Unix seconds spelled as plain decimal digits.
func parseUnix(s string) (time.Time, bool) {
	if s == "" || len(s) > maxUnixTimestampDigit {
		return time.Time{}, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		n = n*10 + int64(c-'0')
	}
	return time.Unix(n, 0), true
}

// stale reports whether t is further than tol from now, in either direction.
func stale(t, now time.Time, tol time.Duration) bool {
	return t.Before(now.Add(-tol)) || t.After(now.Add(tol))
}

func verifyGitHub(secrets [][]byte, r Request) error {
	v, err := need(r.Header, headerGitHub)
	if err != nil {
		return err
	}
	hexSig, ok := strings.CutPrefix(v, "sha256=")
	if !ok {
		return refuse(ErrMalformedHeader, `%s without the "sha256=" prefix`, headerGitHub)
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != sha256.Size {
		return refuse(ErrMalformedHeader, "%s is not a hex SHA-256 HMAC", headerGitHub)
	}
	if !anyMAC(sha256.New, secrets, [][]byte{sig}, r.Body) {
		return refuse(ErrNoMatch, "%s", headerGitHub)
	}
	return nil
}

func verifyStripe(secrets [][]byte, r Request, now time.Time, tol time.Duration) error {
	v, err := need(r.Header, headerStripe)
	if err != nil {
		return err
	}
	var ts string
	var sigs [][]byte
	for item := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return refuse(ErrMalformedHeader, "%s has an item that is not key=value", headerStripe)
		}
		switch k {
		case "t":
			if ts != "" {
				return refuse(ErrMalformedHeader, "%s has more than one timestamp", headerStripe)
			}
			if val == "" {
				return refuse(ErrMalformedHeader, "%s has an empty timestamp", headerStripe)
			}
			ts = val
		case "v1":
			// Like Stripe's libraries, a v1 that is not hex is skipped, not fatal.
			if sig, err := hex.DecodeString(val); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	if ts == "" {
		return refuse(ErrMalformedHeader, "%s has no timestamp t", headerStripe)
	}
	t, ok := parseUnix(ts)
	if !ok {
		return refuse(ErrMalformedHeader, "%s timestamp is not Unix seconds", headerStripe)
	}
	if len(sigs) == 0 {
		return refuse(ErrMalformedHeader, "%s has no v1 signature", headerStripe)
	}
	if stale(t, now, tol) {
		return refuse(ErrStaleTimestamp, "%s timestamp is more than %v from now", headerStripe, tol)
	}
	if !anyMAC(sha256.New, secrets, sigs, []byte(ts), []byte("."), r.Body) {
		return refuse(ErrNoMatch, "%s", headerStripe)
	}
	return nil
}

func verifySlack(secrets [][]byte, r Request, now time.Time, tol time.Duration) error {
	v, err := need(r.Header, headerSlackSignature)
	if err != nil {
		return err
	}
	ts, err := need(r.Header, headerSlackTimestamp)
	if err != nil {
		return err
	}
	hexSig, ok := strings.CutPrefix(v, "v0=")
	if !ok {
		return refuse(ErrMalformedHeader, `%s without the "v0=" prefix`, headerSlackSignature)
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != sha256.Size {
		return refuse(ErrMalformedHeader, "%s is not a hex SHA-256 HMAC", headerSlackSignature)
	}
	t, ok := parseUnix(ts)
	if !ok {
		return refuse(ErrMalformedHeader, "%s is not Unix seconds", headerSlackTimestamp)
	}
	if stale(t, now, tol) {
		return refuse(ErrStaleTimestamp, "%s is more than %v from now", headerSlackTimestamp, tol)
	}
	if !anyMAC(sha256.New, secrets, [][]byte{sig}, []byte("v0:"), []byte(ts), []byte(":"), r.Body) {
		return refuse(ErrNoMatch, "%s", headerSlackSignature)
	}
	return nil
}

func verifyShopify(secrets [][]byte, r Request) error {
	v, err := need(r.Header, headerShopify)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sig) != sha256.Size {
		return refuse(ErrMalformedHeader, "%s is not a base64 SHA-256 HMAC", headerShopify)
	}
	if !anyMAC(sha256.New, secrets, [][]byte{sig}, r.Body) {
		return refuse(ErrNoMatch, "%s", headerShopify)
	}
	return nil
}

func verifyTwilio(secrets [][]byte, r Request) error {
	v, err := need(r.Header, headerTwilio)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sig) != sha1.Size {
		return refuse(ErrMalformedHeader, "%s is not a base64 SHA-1 HMAC", headerTwilio)
	}
	var params []byte
	switch bodyHash := twilioBodyHash(r.URL); {
	case strings.EqualFold(r.Method, http.MethodPost) && isForm(r.Header):
		form, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return refuse(ErrNoMatch, "%s: the form body does not parse", headerTwilio)
		}
		params = twilioParams(form)
	case bodyHash != "":
		want, err := hex.DecodeString(bodyHash)
		sum := sha256.Sum256(r.Body)
		if err != nil || !hmac.Equal(sum[:], want) {
			return refuse(ErrNoMatch, "%s: the body does not match the URL's %s", headerTwilio, twilioBodyHashParam)
		}
	case len(r.Body) > 0:
		return refuse(ErrNoMatch, "%s: the body is neither form-encoded nor covered by a %s query parameter", headerTwilio, twilioBodyHashParam)
	}
	for _, u := range twilioURLs(r.URL) {
		if anyMAC(sha1.New, secrets, [][]byte{sig}, []byte(u), params) {
			return nil
		}
	}
	return refuse(ErrNoMatch, "%s", headerTwilio)
}

// twilioBodyHash is the bodySHA256 query parameter of rawURL, or "".
func twilioBodyHash(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Query().Get(twilioBodyHashParam)
}

// isForm reports whether the request's Content-Type is application/x-www-form-urlencoded.
func isForm(h http.Header) bool {
	ct := headerValue(h, "Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt == formContentType
}

// twilioParams is what Twilio appends to the URL for a form body: the names sorted, each name
// followed by its value, the values of a repeated name sorted too.
func twilioParams(form url.Values) []byte {
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		values := append([]string(nil), form[name]...)
		sort.Strings(values)
		for _, value := range values {
			b.WriteString(name)
			b.WriteString(value)
		}
	}
	return []byte(b.String())
}

// twilioURLs are the spellings of rawURL that Twilio's libraries accept a signature over: the URL
// as given, and the URL without its port when it has one, or with its scheme's default port
// when it has none (Twilio signs with or without the port inconsistently).
func twilioURLs(rawURL string) []string {
	urls := []string{rawURL}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return urls
	}
	host := u.Hostname()
	if strings.Contains(host, ":") { // an IPv6 literal keeps its brackets
		host = "[" + host + "]"
	}
	alt := *u
	switch {
	case u.Port() != "":
		alt.Host = host
	case strings.EqualFold(u.Scheme, "https"):
		alt.Host = host + ":443"
	case strings.EqualFold(u.Scheme, "http"):
		alt.Host = host + ":80"
	default:
		return urls
	}
	return append(urls, alt.String())
}

// standardKeys are the Standard Webhooks keys: each secret base64-decoded after an optional
// "whsec_" prefix is stripped.
func standardKeys(secrets [][]byte) ([][]byte, error) {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		enc := strings.TrimPrefix(string(s), standardSecretPrefix)
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(enc)
		}
		if err != nil || len(key) == 0 {
			return nil, fmt.Errorf(`%w: secret %d is not a Standard Webhooks secret (base64, optionally behind "whsec_")`, ErrInvalidSpec, i)
		}
		keys[i] = key
	}
	return keys, nil
}

func verifyStandard(keys [][]byte, r Request, now time.Time, tol time.Duration) error {
	id, err := need(r.Header, headerStandardID)
	if err != nil {
		return err
	}
	ts, err := need(r.Header, headerStandardTime)
	if err != nil {
		return err
	}
	v, err := need(r.Header, headerStandardSig)
	if err != nil {
		return err
	}
	t, ok := parseUnix(ts)
	if !ok {
		return refuse(ErrMalformedHeader, "%s is not Unix seconds", headerStandardTime)
	}
	var sigs [][]byte
	for entry := range strings.FieldsSeq(v) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue // another scheme (v1a: asymmetric), or not one of ours
		}
		if sig, err := base64.StdEncoding.DecodeString(b64); err == nil && len(sig) == sha256.Size {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return refuse(ErrMalformedHeader, `%s has no "v1,<base64>" signature`, headerStandardSig)
	}
	if stale(t, now, tol) {
		return refuse(ErrStaleTimestamp, "%s is more than %v from now", headerStandardTime, tol)
	}
	if !anyMAC(sha256.New, keys, sigs, []byte(id), []byte("."), []byte(ts), []byte("."), r.Body) {
		return refuse(ErrNoMatch, "%s", headerStandardSig)
	}
	return nil
}

// hmacHash is the hash an "hmac" Spec's Algorithm names ("" is sha256).
func hmacHash(algorithm string) (func() hash.Hash, bool) {
	switch algorithm {
	case "", "sha256":
		return sha256.New, true
	case "sha1":
		return sha1.New, true
	case "sha512":
		return sha512.New, true
	}
	return nil, false
}

func verifyHMAC(spec Spec, secrets [][]byte, r Request) error {
	v, err := need(r.Header, spec.Header)
	if err != nil {
		return err
	}
	if spec.Prefix != "" {
		rest, ok := strings.CutPrefix(v, spec.Prefix)
		if !ok {
			return refuse(ErrMalformedHeader, "%s without its prefix", spec.Header)
		}
		v = rest
	}
	newHash, _ := hmacHash(spec.Algorithm)
	var sig []byte
	if spec.Encoding == "base64" {
		sig, err = base64.StdEncoding.DecodeString(v)
	} else {
		sig, err = hex.DecodeString(v)
	}
	if err != nil || len(sig) != newHash().Size() {
		return refuse(ErrMalformedHeader, "%s is not the %s encoding of an HMAC of that algorithm", spec.Header, encodingName(spec.Encoding))
	}
	if !anyMAC(newHash, secrets, [][]byte{sig}, r.Body) {
		return refuse(ErrNoMatch, "%s", spec.Header)
	}
	return nil
}

func encodingName(encoding string) string {
	if encoding == "" {
		return "hex"
	}
	return encoding
}
