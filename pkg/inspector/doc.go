// Package inspector is hookflow's web inspector: server-rendered pages for operators, on top
// of the operations API (pkg/admin), so it works the same on a local client (the dev server)
// and on a remote admin server.
//
// It shows:
//
//   - the runs, newest first, filtered by status and workflow and paged, with each stuck or
//     failed run's last error;
//   - a run: its status, input, output or error, its pending hooks and webhooks (tokens and
//     URLs), and its history as a timeline (steps with their attempts and errors, timers with
//     their due times, hooks created, each delivery, manual webhook responses, the end);
//   - a delivery: a webhook request's method, URL, headers and body (JSON pretty-printed,
//     text escaped, binary as a hex preview), or a hook's JSON payload;
//   - a form to start a run of a workflow with a JSON input.
//
// And it acts, with forms: cancel a run, retry a stuck one, resume a pending hook with a
// JSON payload, send a delivery again to its hook or as the input of a new run. Every action
// is a POST answered with a redirect to the page to look at next (Post/Redirect/Get); a
// refused action (a payload that is not JSON or that the hook's schema refuses, a hook gone,
// a run that has ended) is shown on the page it came from, with a 4xx status.
//
// The pages reload themselves every Options.Refresh (a few lines of inline script that wait
// while a form is being filled in, and a <meta> refresh without JavaScript). Nothing is
// fetched from the network: the style sheet and the script are inline, allowed by a
// Content-Security-Policy with a nonce per response.
//
// # Security
//
// The inspector authenticates nobody: whoever reaches it can start, resume and cancel any
// run, and read every payload. It is never public: the dev server binds it to the loopback
// address. What it does defend against is a web page in the operator's browser posting to it
// (cross-site request forgery): every POST goes through net/http's CrossOriginProtection,
// which refuses a request whose Sec-Fetch-Site header says another site sent it, or, from
// older browsers, whose Origin header names another host than the request's. Requests
// without either header (curl, scripts) are not from a browser and pass. It does not check
// the Host header, so it does not stop DNS rebinding (a hostile page whose own name comes to
// point at 127.0.0.1 is same-origin to the browser); a front that lets through only the
// expected Host does.
//
// Payloads, headers and tokens come from webhook senders, who may be hostile: every page is
// rendered with html/template, which escapes them, and bodies are shown as text, never as
// markup.
package inspector
