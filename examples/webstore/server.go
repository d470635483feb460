package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// serverOptions configure newServer; the zero value is ready to use.
type serverOptions struct {
	Logger  *slog.Logger     // nil: slog.Default()
	Now     func() time.Time // the time of records posted without one; nil: time.Now
	MaxBody int64            // bytes; 0: 1 MiB
}

type server struct {
	eng *unify.Engine
	log *slog.Logger
	now func() time.Time
	max int64
}

// newServer returns the HTTP API of the webstore over eng.
func newServer(eng *unify.Engine, opts serverOptions) http.Handler {
	s := &server{eng: eng, log: opts.Logger, now: opts.Now, max: opts.MaxBody}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.max <= 0 {
		s.max = 1 << 20
	}
	mux := http.NewServeMux()
	mux.Handle("POST /events", s.ingest(s.eventRecord))
	mux.Handle("POST /orders", s.ingest(s.orderRecord))
	mux.Handle("POST /customers", s.ingest(s.customerRecord))
	mux.Handle("POST /records", s.ingest(fullRecord))
	mux.Handle("GET /profiles", s.handle(s.lookup))
	mux.Handle("GET /profiles/{id}", s.handle(s.profileByID))
	mux.Handle("GET /profiles/{id}/timeline", s.handle(s.timeline))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

// apiError is an error answer: {"error": Msg, "field": Field}.
type apiError struct {
	Status int    `json:"-"`
	Msg    string `json:"error"`
	Field  string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Msg }

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// handle adapts a handler that returns its answer or an error.
func (s *server) handle(h func(r *http.Request) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body, err := h(r)
		if err != nil {
			ae := s.apiError(r, err)
			writeJSON(w, ae.Status, ae)
			return
		}
		writeJSON(w, status, body)
	})
}

// apiError turns an error into its answer: input errors name the field,
// engine errors are mapped to their status, the rest are logged and hidden.
func (s *server) apiError(r *http.Request, err error) *apiError {
	var ae *apiError
	var re *unify.RecordError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &re):
		out := &apiError{Status: http.StatusBadRequest, Msg: err.Error()}
		var fe *profile.FieldError // the first problem of a *profile.ValidationError too
		if errors.As(err, &fe) {
			out.Field = fe.Field
		}
		return out
	case errors.Is(err, unify.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Msg: "not found"}
	case errors.Is(err, unify.ErrClosed):
		return &apiError{Status: http.StatusServiceUnavailable, Msg: "shutting down"}
	case r.Context().Err() != nil:
		return &apiError{Status: http.StatusServiceUnavailable, Msg: "request cancelled"}
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return &apiError{Status: http.StatusInternalServerError, Msg: "internal error"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// ingestAnswer is the answer of the POST endpoints.
type ingestAnswer struct {
	Record  string         `json:"record"`
	Status  unify.Status   `json:"status"`
	Profile string         `json:"profile"`
	Changes []unify.Change `json:"changes,omitempty"`
}

// ingest makes an endpoint that reads the body, builds a record with build
// and ingests it.
func (s *server) ingest(build func(body []byte) (*profile.Record, error)) http.Handler {
	return s.handle(func(r *http.Request) (int, any, error) {
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.max))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return 0, nil, &apiError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("body larger than %d bytes", mbe.Limit)}
			}
			return 0, nil, badRequest("", "reading body: %v", err)
		}
		rec, err := build(body)
		if err != nil {
			return 0, nil, err
		}
		res, err := s.eng.Ingest(r.Context(), rec)
		if err != nil {
			return 0, nil, err
		}
		status := http.StatusOK
		if res.Status == unify.Added {
			status = http.StatusCreated
		}
		return status, ingestAnswer{Record: res.Record, Status: res.Status, Profile: res.Profile, Changes: res.Changes}, nil
	})
}

// fullRecord decodes a record in the JSON format of package profile; the
// engine validates it.
func fullRecord(body []byte) (*profile.Record, error) {
	rec, err := profile.DecodeJSON(body)
	if err != nil {
		var fe *profile.FieldError
		if errors.As(err, &fe) {
			field := fe.Field
			if field == "" && (errors.Is(err, profile.ErrUnknownField) || errors.Is(err, profile.ErrDuplicateField)) {
				field = `[""]` // a field with an empty name
			}
			return nil, badRequest(field, "%v", err)
		}
		return nil, badRequest("", "%v", err)
	}
	if err := checkKey("source", rec.Source); err != nil {
		return nil, err
	}
	if err := checkKey("id", rec.ID); err != nil {
		return nil, err
	}
	for i, id := range rec.Identifiers {
		if err := checkKey("identifiers["+strconv.Itoa(i)+"].type", string(id.Type)); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// decodeBody decodes a JSON object into v, refusing unknown fields, and
// names the field at fault.
func decodeBody(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, err := dec.Token(); err != io.EOF {
			return badRequest("", "data after the JSON object")
		}
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("", "empty body: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "truncated JSON")
	case errors.As(err, &se):
		return badRequest("", "malformed JSON at offset %d: %v", se.Offset, err)
	case errors.As(err, &te) && te.Field == "":
		return badRequest("", "want a JSON object, got %s", te.Value)
	case errors.As(err, &te):
		return badRequest(te.Field, "%s: want %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		field := name
		if field == "" {
			field = `[""]` // the path of an empty name, as package profile writes it
		}
		return badRequest(field, "unknown field %q", name)
	}
	return badRequest("", "%v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}

// lookup: GET /profiles?type=email&value=...
func (s *server) lookup(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	typ, value := strings.TrimSpace(q.Get("type")), q.Get("value")
	switch {
	case typ == "":
		return 0, nil, badRequest("type", "query parameter type is required (email, phone, customer_id, loyalty_card, cookie, ...)")
	case strings.TrimSpace(value) == "":
		return 0, nil, badRequest("value", "query parameter value is required")
	}
	id := identity.ID{Type: identity.Type(typ), Value: value}
	if _, err := s.eng.NormalizeID(id); err != nil {
		return 0, nil, badRequest("value", "not a valid %s: %v", typ, err)
	}
	p, err := s.eng.Profile(r.Context(), id)
	if errors.Is(err, unify.ErrNotFound) {
		return 0, nil, &apiError{Status: http.StatusNotFound, Field: "value", Msg: fmt.Sprintf("no profile holds this %s", typ)}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

// profileByID: GET /profiles/{id}, following aliases.
func (s *server) profileByID(r *http.Request) (int, any, error) {
	p, err := s.eng.ProfileByID(r.Context(), r.PathValue("id"))
	if errors.Is(err, unify.ErrNotFound) {
		return 0, nil, &apiError{Status: http.StatusNotFound, Field: "id", Msg: "no such profile"}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

type timelineAnswer struct {
	Profile string            `json:"profile"`
	Records []*profile.Record `json:"records"`
	Next    string            `json:"next,omitempty"`
}

// timeline: GET /profiles/{id}/timeline?cursor=&limit=
func (s *server) timeline(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, nil, badRequest("limit", "limit must be a whole number from 1 to 1000")
		}
		limit = n
	}
	id, cursor := r.PathValue("id"), q.Get("cursor")
	// Timeline follows aliases, and so does the answer's profile ID.
	p, err := s.eng.ProfileByID(r.Context(), id)
	if errors.Is(err, unify.ErrNotFound) {
		return 0, nil, &apiError{Status: http.StatusNotFound, Field: "id", Msg: "no such profile"}
	}
	if err != nil {
		return 0, nil, err
	}
	page, err := s.eng.Timeline(r.Context(), p.ID, cursor, limit)
	switch {
	case errors.Is(err, unify.ErrNotFound):
		return 0, nil, &apiError{Status: http.StatusNotFound, Field: "id", Msg: "no such profile"}
	case err != nil && cursor != "" && strings.Contains(err.Error(), "cursor"):
		// The engine has no sentinel error for a bad cursor.
		return 0, nil, badRequest("cursor", "bad cursor: pass the next of the previous page")
	case err != nil:
		return 0, nil, err
	}
	ans := timelineAnswer{Profile: p.ID, Records: page.Records, Next: page.Next}
	if ans.Records == nil {
		ans.Records = []*profile.Record{}
	}
	return http.StatusOK, ans, nil
}
