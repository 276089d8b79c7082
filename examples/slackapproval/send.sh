#!/usr/bin/env bash
# Sends a Slack Events API request to $URL, signed as Slack signs it:
#   X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>" keyed with the secret>
# Usage: ./send.sh challenge                                   (the url_verification handshake)
#        ./send.sh reaction <reaction> <channel> <ts> [user]   (a reaction_added event)
# EVENT_ID=Ev... resends an event (Slack's retries carry the same id); RETRY=1 adds
# X-Slack-Retry-Num: 1, as Slack's first retry does.
set -euo pipefail
: "${URL:?set URL to the webhook URL the example printed}"
: "${SLACK_SIGNING_SECRET:?set SLACK_SIGNING_SECRET to the secret the example resolves}"

case ${1:-} in
challenge)
  body='{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}' ;;
reaction)
  reaction=${2:?reaction, e.g. white_check_mark or x} channel=${3:?channel id} ts=${4:?message ts}
  user=${5:-U0123456789} id=${EVENT_ID:-Ev$(openssl rand -hex 5 | tr a-f A-F)}
  body='{"type":"event_callback","event_id":"'$id'","event":{"type":"reaction_added","user":"'$user'","reaction":"'$reaction'","item":{"type":"message","channel":"'$channel'","ts":"'$ts'"}}}' ;;
*)
  echo "usage: $0 challenge | reaction <reaction> <channel> <ts> [user]" >&2; exit 2 ;;
esac

t=$(date +%s)
sig=$(printf 'v0:%s:%s' "$t" "$body" | openssl dgst -sha256 -hmac "$SLACK_SIGNING_SECRET" -r | cut -d' ' -f1)
curl -sS -i "$URL" -H 'Content-Type: application/json' -H "X-Slack-Request-Timestamp: $t" \
  -H "X-Slack-Signature: v0=$sig" ${RETRY:+-H "X-Slack-Retry-Num: $RETRY"} --data-binary "$body"
echo
