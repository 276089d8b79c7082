package inspector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"time"
	"unicode/utf8"
)

// funcs are the helpers the templates call.
var funcs = template.FuncMap{
	"age":            age,
	"when":           when,
	"iso":            func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"runURL":         runURL,
	"deliveryURL":    deliveryURL,
	"chooser":        chooser,
	"redeliverForms": redeliverForms,
}

// runURL is the path of a run's page.
func runURL(runID string) string { return "/runs/" + url.PathEscape(runID) }

// deliveryURL is the path of a delivery's page.
func deliveryURL(runID, deliveryID string) string {
	return runURL(runID) + "/deliveries/" + url.PathEscape(deliveryID)
}

// when is a time as the pages show it, to the millisecond in UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

// age is how long ago t was, coarsely: "4s ago", "3m ago", "2h ago", "5d ago".
func age(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "in " + (-d).Round(time.Second).String()
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// offset is t from a run's start: "+1.234s".
func offset(start, t time.Time) string {
	if start.IsZero() || t.IsZero() {
		return ""
	}
	return "+" + t.Sub(start).Round(time.Millisecond).String()
}

// prettyJSON indents raw JSON; what is not JSON comes back as it is (as text: the template
// escapes it).
func prettyJSON(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// compactJSON is raw JSON on one line, clipped to n bytes.
func compactJSON(raw []byte, n int) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return clip(string(raw), n)
	}
	return clip(buf.String(), n)
}

// checkJSON refuses text that is not one JSON value, saying where it breaks.
func checkJSON(field, text string) error {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return &formError{fmt.Sprintf("The %s is not JSON: %v.", field, err)}
	}
	return nil
}
