package normalize

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by this package is an *Error whose
// Err wraps exactly one of them, so callers can write
// errors.Is(err, normalize.ErrEmpty).
var (
	// ErrEmpty reports input that is empty or only white space.
	ErrEmpty = errors.New("normalize: empty")
	// ErrTooLong reports input, or a part of it, over the length limit.
	ErrTooLong = errors.New("normalize: too long")
	// ErrInvalid reports input that cannot be a value of the field, such
	// as an email address without '@' or an identifier with a control
	// character.
	ErrInvalid = errors.New("normalize: invalid")
	// ErrInvalidPhone reports input that is not a valid phone number for
	// the region it was read in.
	ErrInvalidPhone = errors.New("normalize: invalid phone number")
	// ErrUnknownCountry reports a country name or code, or a phone
	// region, that is not a known country.
	ErrUnknownCountry = errors.New("normalize: unknown country")
)

// Kind classifies an Error. Each Kind corresponds to one sentinel error.
type Kind uint8

// The kinds of Error, one for each sentinel.
const (
	// KindInvalid corresponds to ErrInvalid.
	KindInvalid Kind = iota
	// KindEmpty corresponds to ErrEmpty.
	KindEmpty
	// KindTooLong corresponds to ErrTooLong.
	KindTooLong
	// KindInvalidPhone corresponds to ErrInvalidPhone.
	KindInvalidPhone
	// KindUnknownCountry corresponds to ErrUnknownCountry.
	KindUnknownCountry
)

var kindSentinels = [...]error{
	KindInvalid:        ErrInvalid,
	KindEmpty:          ErrEmpty,
	KindTooLong:        ErrTooLong,
	KindInvalidPhone:   ErrInvalidPhone,
	KindUnknownCountry: ErrUnknownCountry,
}

var kindNames = [...]string{
	KindInvalid:        "invalid",
	KindEmpty:          "empty",
	KindTooLong:        "too long",
	KindInvalidPhone:   "invalid phone number",
	KindUnknownCountry: "unknown country",
}

// String returns a short lower-case description of k, such as "too long".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinel returns the sentinel error of k, such as ErrTooLong for
// KindTooLong, or nil for an unknown Kind.
func (k Kind) Sentinel() error {
	if int(k) < len(kindSentinels) {
		return kindSentinels[k]
	}
	return nil
}

// Error describes input that a normalizer could not normalize, in the
// manner of fs.PathError. Err wraps the sentinel of Kind, so both
// errors.Is(err, ErrInvalid) and errors.As(err, new(*Error)) work.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Field names what was being normalized: "email", "phone", "text",
	// "identifier", "country", "postal code", or "region" for the region
	// argument of the phone normalizers.
	Field string
	// Input is the string exactly as it was passed in.
	Input string
	// Pos is the byte offset in Input of the offending part, len(Input)
	// when something is missing at the end, or -1 when the position is
	// not known or the problem is not at one place.
	Pos int
	// Err describes the problem and wraps the sentinel of Kind.
	Err error
}

// maxQuoted caps how much of Input an error message repeats.
const maxQuoted = 64

// Error returns a message of the form
//
//	normalize: email "jane@@example.com": invalid: unexpected '@' (at byte 5)
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("normalize: ")
	b.WriteString(e.Field)
	b.WriteByte(' ')
	in := e.Input
	if len(in) > maxQuoted {
		in = strings.ToValidUTF8(in[:maxQuoted], "") + "..."
	}
	b.WriteString(strconv.Quote(in))
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.Err != nil && e.Err != e.Kind.Sentinel() {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Pos >= 0 {
		b.WriteString(" (at byte ")
		b.WriteString(strconv.Itoa(e.Pos))
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// detail is an Err for Error: a message that wraps a sentinel.
type detail struct {
	sentinel error
	msg      string
}

func (d *detail) Error() string { return d.msg }
func (d *detail) Unwrap() error { return d.sentinel }

// newError returns an *Error of kind k whose Err says msg and wraps the
// sentinel of k.
func newError(k Kind, field, input string, pos int, msg string) *Error {
	var err error = k.Sentinel()
	if msg != "" {
		err = &detail{sentinel: err, msg: msg}
	}
	return &Error{Kind: k, Field: field, Input: input, Pos: pos, Err: err}
}
