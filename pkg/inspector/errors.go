package inspector

import (
	"errors"
	"net/http"

	"github.com/hookflow/hookflow/pkg/admin"
	"github.com/hookflow/hookflow/pkg/workflow"
)

// formError is a form the inspector refuses before asking the API (a field that should hold
// JSON and does not, one left empty).
type formError struct{ msg string }

func (e *formError) Error() string { return e.msg }

// explain maps an error of the API (or of a form) to the status and the words of the page
// that shows it. Failures that are not the operator's (the store, a bug) are logged and
// shown without their message, as the admin API does.
func (h *handler) explain(r *http.Request, err error) (int, *pageError) {
	var (
		verr *workflow.ValidationError
		ferr *formError
	)
	switch {
	case errors.As(err, &ferr):
		return http.StatusBadRequest, &pageError{Message: ferr.msg}
	case errors.As(err, &verr):
		return http.StatusBadRequest, &pageError{Message: "The hook's schema refused the payload.", Issues: verr.Issues}
	case errors.Is(err, workflow.ErrInvalidArgument):
		return http.StatusBadRequest, &pageError{Message: err.Error()}
	case errors.Is(err, workflow.ErrHookNotFound):
		return http.StatusNotFound, &pageError{Message: "No live hook holds that token any more (the run went on, or ended): " + err.Error()}
	case errors.Is(err, workflow.ErrRunNotFound), errors.Is(err, workflow.ErrDeliveryNotFound):
		return http.StatusNotFound, &pageError{Message: err.Error()}
	case errors.Is(err, workflow.ErrRunEnded):
		return http.StatusConflict, &pageError{Message: "The run has ended: " + err.Error()}
	case errors.Is(err, workflow.ErrPayloadTooLarge):
		return http.StatusRequestEntityTooLarge, &pageError{Message: err.Error()}
	case errors.Is(err, admin.ErrUnavailable):
		h.log.WarnContext(r.Context(), "inspector: the admin API is unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		return http.StatusBadGateway, &pageError{Message: "The admin API could not be reached: " + err.Error()}
	}
	h.log.ErrorContext(r.Context(), "inspector: operation failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, &pageError{Message: "Internal error: the operation failed; the server's log has the reason."}
}
