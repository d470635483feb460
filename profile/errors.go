package profile

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Decoding and validation errors are *FieldError or
// *ValidationError values that wrap one of these; match them with errors.Is.
var (
	// ErrSyntax: the input is not well-formed JSON, or a value has the wrong
	// JSON type for its field.
	ErrSyntax = errors.New("profile: syntax error")
	// ErrUnknownField: a JSON object has a field this package does not know.
	ErrUnknownField = errors.New("profile: unknown field")
	// ErrDuplicateField: a JSON object names the same field twice.
	ErrDuplicateField = errors.New("profile: duplicate field")
	// ErrMissing: a required field is empty.
	ErrMissing = errors.New("profile: missing")
	// ErrInvalid: a field has a value outside its domain. A *ValidationError
	// always matches ErrInvalid.
	ErrInvalid = errors.New("profile: invalid")
	// ErrCorrupt: binary data is truncated or malformed.
	ErrCorrupt = errors.New("profile: corrupt binary data")
	// ErrVersion: binary data has a format version this package cannot read.
	ErrVersion = errors.New("profile: unsupported binary format version")
)

// Money errors, each wrapping ErrInvalid.
var (
	ErrMoneySyntax    = fmt.Errorf("%w money: not a decimal number", ErrInvalid)
	ErrMoneyPrecision = fmt.Errorf("%w money: more than 2 decimals", ErrInvalid)
	ErrMoneyRange     = fmt.Errorf("%w money: out of range", ErrInvalid)
)

// FieldError reports a problem with one field of one record.
type FieldError struct {
	// Record is "source/id" of the record when known.
	Record string
	// Field is the JSON path of the field, like "order.lines[2].quantity";
	// empty for the record as a whole.
	Field string
	// Offset is the byte offset in the input where the problem was found,
	// or -1 when the error does not come from decoding input.
	Offset int64
	// Err is, or wraps, one of the package's sentinel errors.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Record != "" {
		b.WriteString(": record ")
		b.WriteString(e.Record)
	}
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " (offset %d)", e.Offset)
	}
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// ValidationError lists the problems Validate found in one record. It
// matches ErrInvalid with errors.Is, every problem's error through Unwrap,
// and errors.As finds the first problem as a *FieldError.
type ValidationError struct {
	Record   string
	Problems []*FieldError
}

// maxShown caps the problems Error lists.
const maxShown = 5

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "profile: invalid record %s: ", e.Record)
	for i, p := range e.Problems {
		if i == maxShown {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-maxShown)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", p.Field, p.Err)
	}
	return b.String()
}

// Is reports true for ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the problems.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// prefixField returns the path of field name under parent.
func joinPath(parent, child string) string {
	switch {
	case parent == "":
		return child
	case child == "":
		return parent
	case child[0] == '[':
		return parent + child
	}
	return parent + "." + child
}
