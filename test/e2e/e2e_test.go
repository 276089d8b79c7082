package e2e

import (
	"testing"
)

// TestEndToEnd deploys the stack once and runs every scenario on it, in parallel.
func TestEndToEnd(t *testing.T) {
	s := setup(t)
	scenarios := []struct {
		name string
		run  func(*testing.T, *stack)
	}{
		{"webhook_202_resumes_a_waiting_run", testWebhookAccepted},
		{"webhook_request_survives_API_Gateway", testWebhookRequestDetails},
		{"webhook_static_response", testWebhookStaticResponse},
		{"webhook_manual_response", testWebhookManualResponse},
		{"hook_token_is_not_a_webhook", testHookTokenOnWebhookRoute},
		{"resume_function_idempotent_retries", testResumeIdempotent},
		{"short_timer_fires", testShortTimer},
		{"lost_wake_is_swept", testLostWakeIsSwept},
		{"duplicated_wake_messages", testDuplicatedWakes},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(t, s)
		})
	}
}
