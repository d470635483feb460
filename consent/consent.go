package consent

import (
	"errors"
	"fmt"
	"time"

	"github.com/unifycdp/unify/identity"
)

// Purpose names what a person agrees to. The constants below are the
// built-in purposes; hosts may use any other lower-case snake_case name
// (letters, digits and underscores, starting with a letter, at most
// MaxPurposeLen bytes).
type Purpose string

// Built-in purposes.
const (
	EmailMarketing Purpose = "email_marketing"
	SMSMarketing   Purpose = "sms_marketing"
	Push           Purpose = "push"
	ThirdPartyAds  Purpose = "third_party_ads"
	Profiling      Purpose = "profiling"
)

// MaxPurposeLen is the longest purpose name Validate accepts.
const MaxPurposeLen = 64

// Valid reports whether p is a well-formed purpose name.
func (p Purpose) Valid() bool {
	if len(p) == 0 || len(p) > MaxPurposeLen || p[0] < 'a' || p[0] > 'z' {
		return false
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Status is the state a consent event puts a purpose in.
type Status string

// Statuses.
const (
	Granted   Status = "granted"
	Withdrawn Status = "withdrawn"
)

// Valid reports whether s is Granted or Withdrawn.
func (s Status) Valid() bool { return s == Granted || s == Withdrawn }

// Consent is one consent event: at Time, the person granted or withdrew
// Purpose, as recorded by Source in its record RecordID. Scope, when set,
// limits the consent to one identifier (SMS marketing to one phone number);
// its Value must be normalized like any identifier in the graph.
type Consent struct {
	Purpose  Purpose      `json:"purpose"`
	Status   Status       `json:"status"`
	Time     time.Time    `json:"time"`
	Source   string       `json:"source,omitempty"`
	RecordID string       `json:"record_id,omitempty"`
	Scope    *identity.ID `json:"scope,omitempty"`
}

// Errors reported by Validate, all wrapping ErrInvalid.
var (
	ErrInvalid = errors.New("consent: invalid")
	ErrPurpose = fmt.Errorf("%w purpose", ErrInvalid)
	ErrStatus  = fmt.Errorf("%w status", ErrInvalid)
	ErrTime    = fmt.Errorf("%w time", ErrInvalid)
	ErrScope   = fmt.Errorf("%w scope", ErrInvalid)
)

// Error is a validation error: Field is the JSON name of the offending field
// ("purpose", "status", "time", "scope.type", "scope.value"), Value what it
// held, Err one of ErrPurpose, ErrStatus, ErrTime or ErrScope.
type Error struct {
	Field string
	Value string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%v: %s %q", e.Err, e.Field, e.Value)
}

func (e *Error) Unwrap() error { return e.Err }

// Validate reports the first problem of c as an *Error: a malformed or empty
// purpose, a status other than Granted or Withdrawn, a zero time, or a scope
// with an empty type or value.
func (c Consent) Validate() error {
	switch {
	case !c.Purpose.Valid():
		return &Error{"purpose", string(c.Purpose), ErrPurpose}
	case !c.Status.Valid():
		return &Error{"status", string(c.Status), ErrStatus}
	case c.Time.IsZero():
		return &Error{"time", "", ErrTime}
	case c.Scope != nil && c.Scope.Type == "":
		return &Error{"scope.type", "", ErrScope}
	case c.Scope != nil && c.Scope.Value == "":
		return &Error{"scope.value", "", ErrScope}
	}
	return nil
}

// Compare orders consent events by precedence: -1 if a loses to b, +1 if a
// wins over b, 0 if they are equivalent. The later event wins; on an exact tie
// of time a withdrawal wins over a grant; then the greater (Source, RecordID)
// wins, so that the outcome never depends on arrival order. Purpose and scope
// are not compared.
func Compare(a, b Consent) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if a.Status != b.Status {
		if a.Status == Withdrawn {
			return 1
		}
		if b.Status == Withdrawn {
			return -1
		}
		return cmpString(string(a.Status), string(b.Status))
	}
	if c := cmpString(a.Source, b.Source); c != 0 {
		return c
	}
	return cmpString(a.RecordID, b.RecordID)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
