package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/landrelease/landrelease/domain"
)

// Error is an API error: the HTTP status, a stable kind, a message for
// people and, when one field is at fault, its name.
type Error struct {
	Status   int
	Kind     string
	Message  string
	Field    string
	Problems []domain.Problem
}

func (e *Error) Error() string { return e.Message }

// errorBody is the JSON of every error answer: the same error shape as a
// refused command's in a batch answer or in exec --json.
type errorBody struct {
	Error domain.ErrorReport `json:"error"`
}

// Kinds of errors on the wire that only HTTP has; a domain error keeps its
// kind's code (domain.Kind.Code), so the API, exec --json and the bus say the
// same word for the same failure.
const (
	KindBadRequest   = "bad_request"
	KindUnauthorized = "unauthorized"
	KindMethod       = "method_not_allowed"
	// KindUnsupportedMediaType: a body not declared as a type the route
	// takes (415).
	KindUnsupportedMediaType = "unsupported_media_type"
	KindForbidden            = "forbidden"
	KindNotFound             = "not_found"
	KindConflict             = "conflict"
	KindTooLarge             = "too_large"
	KindInvalid              = "invalid"
	KindUnavailable          = "unavailable"
	KindInternal             = "internal"
)

// statusOf is the one place where a domain error kind becomes an HTTP status.
var statusOf = map[domain.Kind]int{
	domain.ErrInvalid:     http.StatusUnprocessableEntity,
	domain.ErrNotFound:    http.StatusNotFound,
	domain.ErrConflict:    http.StatusConflict,
	domain.ErrForbidden:   http.StatusForbidden,
	domain.ErrUnavailable: http.StatusServiceUnavailable,
	domain.ErrTooLarge:    http.StatusRequestEntityTooLarge,
	domain.ErrInternal:    http.StatusInternalServerError,
}

// badRequest is a 400 naming the field (a query parameter or body field).
func badRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Kind: KindBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// toError maps any error to an API error: domain kinds to their statuses,
// a body over the limit to 413, everything else to 500.
func toError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Kind: KindTooLarge,
			Message: fmt.Sprintf("request body over the limit of %d bytes; send large files with 'landrelease exec' or 'import', or split the batch", mbe.Limit)}
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return &Error{Status: statusOf[de.Kind], Kind: de.Kind.Code(), Message: de.Error(), Field: de.Field(), Problems: de.Problems}
	}
	k := domain.KindOf(err)
	return &Error{Status: statusOf[k], Kind: k.Code(), Message: err.Error()}
}

func writeError(w http.ResponseWriter, err error) {
	e := toError(err)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="landrelease"`)
	}
	writeJSON(w, e.Status, errorBody{domain.ErrorReport{Kind: e.Kind, Message: e.Message, Field: e.Field, Problems: e.Problems}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
