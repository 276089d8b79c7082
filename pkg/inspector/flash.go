package inspector

import "net/http"

// flashes are what a page says after the action that redirected to it (?ok=...). Only
// these fixed words are shown: the query names one, it never carries text to show.
var flashes = map[string]string{
	"started":         "The run was started.",
	"cancelled":       "The run was asked to stop: it ends at its next turn.",
	"retried":         "The run was put back to work.",
	"resumed":         "The payload was delivered to the hook.",
	"redelivered":     "The delivery was sent again, to the same hook.",
	"redelivered-new": "This run was started with the delivery as its input.",
}

// flash is the message of the action that led to r's page; empty when none did.
func flash(r *http.Request) string { return flashes[r.URL.Query().Get("ok")] }
