package backend

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// A run's work crosses processes: a delivery is stored by the webhook function and taken by a
// turn in the runner. The trace context of the delivery travels with the inbox item and the
// wake message as a W3C traceparent string, which drivers store as they are given it and
// never read; the engine makes the spans (OpenTelemetry's API: nothing is recorded unless the
// application installs a tracer provider).

var traceContext = propagation.TraceContext{}

// TraceParent returns the W3C traceparent of the span in ctx, or "" when ctx holds none.
func TraceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	carrier := propagation.MapCarrier{}
	traceContext.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

// ContextWithTraceParent returns ctx carrying the remote span context tp names (from
// TraceParent), so that spans started from it join that trace; a tp that is not a valid
// traceparent leaves ctx as it is.
func ContextWithTraceParent(ctx context.Context, tp string) context.Context {
	if tp == "" {
		return ctx
	}
	return traceContext.Extract(ctx, propagation.MapCarrier{"traceparent": tp})
}

// validTraceParent reports whether tp is a traceparent that ContextWithTraceParent takes.
func validTraceParent(tp string) bool {
	if tp == "" {
		return false
	}
	ctx := ContextWithTraceParent(context.Background(), tp)
	return trace.SpanContextFromContext(ctx).IsValid()
}
