#!/usr/bin/env bash
# Sends a Stripe event about a Checkout Session to $URL, signed as Stripe signs it:
#   Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>
# Usage: ./send.sh <event type> <session id> [payment status, default paid]
# EVENT_ID=evt_... resends an event: Stripe's retries carry the same id.
set -euo pipefail
: "${URL:?set URL to the webhook URL the example printed}"
: "${STRIPE_WEBHOOK_SECRET:?set STRIPE_WEBHOOK_SECRET to the secret the example resolves}"
type=${1:?event type, e.g. checkout.session.completed}
session=${2:?Checkout Session id, e.g. cs_test_a1b2c3}
status=${3:-paid}
id=${EVENT_ID:-evt_$(openssl rand -hex 12)}

body='{"id":"'$id'","object":"event","type":"'$type'","data":{"object":{"id":"'$session'","object":"checkout.session","payment_status":"'$status'","payment_intent":"pi_'${session#cs_}'"}}}'
t=$(date +%s)
sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$STRIPE_WEBHOOK_SECRET" -r | cut -d' ' -f1)
curl -sS -i "$URL" -H 'Content-Type: application/json' -H "Stripe-Signature: t=$t,v1=$sig" --data-binary "$body"
