package webhook

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// TokenFingerprint returns a short name for a hook token that logs carry instead of the
// token: "tok:" and the first 8 hex digits of the token's SHA-256. The token is a webhook
// URL's only secret, and the fingerprint does not give it back; but a token always has the
// same fingerprint, so operators can still follow one hook through the logs (and compute the
// fingerprint of a token they hold to find its lines).
func TokenFingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "tok:" + hex.EncodeToString(sum[:4])
}

// RedactToken returns s with every occurrence of token replaced by its TokenFingerprint: the
// token as it is, and in the escaped forms error messages and URLs give it (Go and JSON
// quoting, URL path and query escaping). An empty token leaves s as it is.
func RedactToken(s, token string) string {
	if token == "" {
		return s
	}
	forms := []string{token, quoted(strconv.Quote(token)), quoted(strconv.QuoteToASCII(token)),
		url.PathEscape(token), url.QueryEscape(token)}
	if j, err := json.Marshal(token); err == nil {
		forms = append(forms, quoted(string(j)))
	}
	// Longer forms first: a Replacer tries its pairs in order at each position.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	forms = slices.Compact(forms)
	fp := TokenFingerprint(token)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, fp)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// quoted strips the quotes around a quoted string.
func quoted(q string) string { return q[1 : len(q)-1] }

// RedactError returns an error whose message is err's with token redacted (RedactToken) and
// that matches what err matches with errors.Is and errors.As; nil for a nil err. Return it
// where the error is printed out of the caller's hands (a Lambda function error, which the
// runtime logs).
func RedactError(err error, token string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: RedactToken(err.Error(), token), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
