package verify

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The handshakes a Handshake may name.
const (
	// HandshakeSlack is the Events API's url_verification: a signed POST of
	// {"type":"url_verification","challenge":...}, answered with the challenge.
	HandshakeSlack = "slack"
	// HandshakeHub is the subscription check of Meta (WhatsApp, Messenger, Instagram) and
	// other WebSub-style senders: a GET with hub.mode=subscribe, hub.verify_token and
	// hub.challenge, answered with the challenge when the verify token is the one configured
	// at the sender.
	HandshakeHub = "hub"
)

// Handshake is a verification request a sender makes before it delivers anything (and, for
// Slack, again when the URL changes), which the webhook route answers itself: it is not
// delivered and does not wake the run. Like a Spec, it is stored with the webhook and holds
// no secret: VerifyToken is a reference.
type Handshake struct {
	Kind string `json:"kind"` // HandshakeSlack or HandshakeHub
	// VerifyToken is a reference to the verify token configured at the sender (hub only),
	// e.g. "env:META_VERIFY_TOKEN".
	VerifyToken string `json:"verifyToken,omitempty"`
}

// Validate reports what makes h unusable, matching ErrInvalidSpec.
func (h Handshake) Validate() error {
	switch h.Kind {
	case HandshakeSlack:
		if h.VerifyToken != "" {
			return fmt.Errorf("%w: the slack handshake takes no verify token (Slack signs it: use Verify)", ErrInvalidSpec)
		}
	case HandshakeHub:
		if _, _, err := parseRef(h.VerifyToken); err != nil {
			return fmt.Errorf("%w: the hub handshake needs VerifyToken, a secret reference such as env:META_VERIFY_TOKEN", ErrInvalidSpec)
		}
	default:
		return fmt.Errorf("%w: handshake kind %q is not %q or %q", ErrInvalidSpec, h.Kind, HandshakeSlack, HandshakeHub)
	}
	return nil
}

// Answer reports whether r is h's handshake and, when it is, returns the answer for the
// sender. A hub handshake whose verify token is not verifyToken (the resolved VerifyToken) is
// refused with an error matching ErrInvalidSignature. A request that is not the handshake
// gives ok false and no error: it is an ordinary delivery.
func (h Handshake) Answer(r Request, verifyToken []byte) (answer []byte, contentType string, ok bool, err error) {
	switch h.Kind {
	case HandshakeSlack:
		if r.Method != http.MethodPost {
			return nil, "", false, nil
		}
		var ev struct {
			Type      string `json:"type"`
			Challenge string `json:"challenge"`
		}
		if json.Unmarshal(r.Body, &ev) != nil || ev.Type != "url_verification" || ev.Challenge == "" {
			return nil, "", false, nil
		}
		out, _ := json.Marshal(map[string]string{"challenge": ev.Challenge})
		return out, "application/json", true, nil
	case HandshakeHub:
		if r.Method != http.MethodGet {
			return nil, "", false, nil
		}
		u, perr := url.Parse(r.URL)
		if perr != nil {
			return nil, "", false, nil
		}
		q := u.Query()
		if q.Get("hub.mode") != "subscribe" || q.Get("hub.challenge") == "" {
			return nil, "", false, nil
		}
		if len(verifyToken) == 0 || subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), verifyToken) != 1 {
			return nil, "", true, &refusal{reason: ErrNoMatch, detail: "hub.verify_token is not the configured verify token"}
		}
		return []byte(q.Get("hub.challenge")), "text/plain; charset=utf-8", true, nil
	}
	return nil, "", false, errors.New("verify: unknown handshake " + strings.TrimSpace(h.Kind))
}
