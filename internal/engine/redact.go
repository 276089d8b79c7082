package engine

import (
	"net/http"
	"slices"

	"github.com/hookflow/hookflow/pkg/webhook/verify"
)

// CredentialHeaders are the request headers a webhook does not store unless it keeps them
// (WebhookConfig.KeepHeaders): they carry the sender's credentials, which the workflow has no
// use for once the request is in, and which would otherwise sit in the run's history (and in
// every export and log of it) for as long as the run is kept.
var CredentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// storedHeader returns the headers of a webhook request as the webhook stores them: without
// CredentialHeaders, nor the signature headers of its Verify spec (checked by then), except
// those it keeps.
func storedHeader(h http.Header, data TokenData) http.Header {
	out := h.Clone()
	if out == nil {
		return nil
	}
	var keep []string
	if data.Webhook != nil {
		keep = data.Webhook.KeepHeaders
	}
	drop := func(name string) {
		name = http.CanonicalHeaderKey(name)
		if !slices.ContainsFunc(keep, func(k string) bool { return http.CanonicalHeaderKey(k) == name }) {
			delete(out, name)
		}
	}
	for _, name := range CredentialHeaders {
		drop(name)
	}
	if data.Verify != nil {
		for _, name := range verify.SignatureHeaders(*data.Verify) {
			drop(name)
		}
	}
	return out
}
