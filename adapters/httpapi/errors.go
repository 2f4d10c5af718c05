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

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Kind     string           `json:"kind"`
	Message  string           `json:"message"`
	Field    string           `json:"field,omitempty"`
	Problems []domain.Problem `json:"problems,omitempty"`
}

// Kinds of errors on the wire, with their statuses: the one place where
// failures become HTTP.
const (
	KindBadRequest   = "bad_request"
	KindUnauthorized = "unauthorized"
	KindForbidden    = "forbidden"
	KindNotFound     = "not_found"
	KindMethod       = "method_not_allowed"
	KindConflict     = "conflict"
	KindTooLarge     = "too_large"
	// KindUnsupportedMediaType: a body not declared as a type the route
	// takes (415).
	KindUnsupportedMediaType = "unsupported_media_type"
	KindInvalid              = "invalid"
	KindUnavailable          = "unavailable"
	KindInternal             = "internal"
)

var domainKinds = map[domain.Kind]struct {
	status int
	kind   string
}{
	domain.ErrInvalid:     {http.StatusUnprocessableEntity, KindInvalid},
	domain.ErrNotFound:    {http.StatusNotFound, KindNotFound},
	domain.ErrConflict:    {http.StatusConflict, KindConflict},
	domain.ErrForbidden:   {http.StatusForbidden, KindForbidden},
	domain.ErrUnavailable: {http.StatusServiceUnavailable, KindUnavailable},
	domain.ErrTooLarge:    {http.StatusRequestEntityTooLarge, KindTooLarge},
	domain.ErrInternal:    {http.StatusInternalServerError, KindInternal},
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
		m := domainKinds[de.Kind]
		return &Error{Status: m.status, Kind: m.kind, Message: de.Error(), Field: de.Field(), Problems: de.Problems}
	}
	k := domain.KindOf(err)
	m := domainKinds[k]
	return &Error{Status: m.status, Kind: m.kind, Message: err.Error()}
}

func writeError(w http.ResponseWriter, err error) {
	e := toError(err)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="landrelease"`)
	}
	writeJSON(w, e.Status, errorBody{errorJSON{Kind: e.Kind, Message: e.Message, Field: e.Field, Problems: e.Problems}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
