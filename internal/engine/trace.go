package engine

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookflow/hookflow/pkg/backend"
)

// Traces. The engine makes OpenTelemetry spans with the API only: without a tracer provider
// (Options.TracerProvider, ClientOptions.TracerProvider, else the global one, a no-op until
// the application installs an SDK) nothing is recorded and the calls cost next to nothing.
//
//	hookflow.webhook.deliver / hookflow.hook.resume   a delivery, from the edge to the inbox
//	hookflow.turn                                     a turn of a run
//	hookflow.step                                     one attempt of a step, in its turn
//
// A delivery's trace context is stored with its inbox item and sent with the wake (see
// pkg/backend trace.go), so the turn the wake asks for is a child of the delivery, in the
// same trace, across processes (the webhook Lambda, then the runner Lambda); a turn that takes
// items of other deliveries links to each of them.

// TracerName is the instrumentation scope of hookflow's spans.
const TracerName = "github.com/hookflow/hookflow"

// Span attributes.
const (
	attrRunID      = attribute.Key("hookflow.run_id")
	attrWorkflow   = attribute.Key("hookflow.workflow")
	attrHookID     = attribute.Key("hookflow.hook_id")
	attrDeliveryID = attribute.Key("hookflow.delivery_id")
	attrOutcome    = attribute.Key("hookflow.outcome")
	attrStep       = attribute.Key("hookflow.step")
	attrAttempt    = attribute.Key("hookflow.attempt")
	attrStatus     = attribute.Key("hookflow.status")
)

// tracerOf returns the tracer of tp, or of the global provider when tp is nil.
func tracerOf(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tp.Tracer(TracerName)
}

// endSpan records err on span (when not nil) and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// endDelivery ends a delivery's span with its outcome.
func endDelivery(span trace.Span, d Delivery, err error) {
	span.SetAttributes(attrOutcome.String(d.Outcome.String()))
	if d.Result.RunID != "" {
		span.SetAttributes(attrRunID.String(d.Result.RunID), attrHookID.String(d.Result.HookID), attrDeliveryID.String(d.Result.DeliveryID))
	}
	endSpan(span, err)
}

// linkItem links the turn's span in ctx to the trace of the delivery that stored item, when
// that is another trace than the turn's own.
func linkItem(ctx context.Context, item backend.InboxItem) {
	if item.TraceParent == "" {
		return
	}
	span := trace.SpanFromContext(ctx)
	sc := trace.SpanContextFromContext(backend.ContextWithTraceParent(context.Background(), item.TraceParent))
	if !span.IsRecording() || !sc.IsValid() || sc.TraceID() == span.SpanContext().TraceID() {
		return
	}
	span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attrDeliveryID.String(item.DeliveryID)}})
}
