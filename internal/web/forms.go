package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/amane-dns/amane/internal/fielderr"
)

// FieldErrors are the problems of one submitted form or API call, in the
// order they were found, each under the key of its field
// ("profile.schedule[0].from"), or under "" for a problem no field owns.
// A page shows each next to its field; the API returns the same ones.
type FieldErrors []FieldError

// FieldError is one problem, as the JSON API writes it.
type FieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// Fields sorts err (one error, or several joined with errors.Join, as
// every Validate returns them) into FieldErrors: an error that names its
// key (*fielderr.Error, or anything with a Field() string method) goes
// under that key, anything else under "". nil for a nil err.
func Fields(err error) FieldErrors {
	var out FieldErrors
	for _, e := range fielderr.Flatten(err) {
		var fe *fielderr.Error
		var named interface{ Field() string }
		switch {
		case errors.As(e, &fe):
			out = append(out, FieldError{fe.Key, fe.Message()})
		case errors.As(e, &named):
			out = append(out, FieldError{named.Field(), strings.TrimPrefix(e.Error(), named.Field()+": ")})
		default:
			out = append(out, FieldError{"", e.Error()})
		}
	}
	return out
}

// For returns the first problem of field, "" when it has none; the
// layout's "field" template calls it through the func map.
func (fe FieldErrors) For(field string) string {
	for _, e := range fe {
		if e.Field == field {
			return e.Error
		}
	}
	return ""
}

// List returns the problems, for a summary at the top of a form.
func (fe FieldErrors) List() []FieldError { return fe }

// WriteJSONError answers an API call with status and err's problems: the
// first at the top level, so a simple client reads
// {"field": "...", "error": "..."}, and all of them under "errors".
func WriteJSONError(w http.ResponseWriter, status int, err error) {
	fe := Fields(err)
	if len(fe) == 0 {
		fe = FieldErrors{{Error: http.StatusText(status)}}
	}
	WriteJSON(w, status, struct {
		FieldError
		Errors FieldErrors `json:"errors"`
	}{fe[0], fe})
}

// WriteJSON answers an API call with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"encoding the answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// DecodeJSON reads an API call's body (at most 1 MiB, unknown fields
// refused, one value) into v. Its error names the problem in words a
// script's author understands; answer it with WriteJSONError and 400.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return errors.New("the body must be JSON (Content-Type: application/json)")
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("reading the JSON body: " + err.Error())
	}
	if dec.More() {
		return errors.New("reading the JSON body: one value expected")
	}
	return nil
}
