package profile

import (
	"math"
	"strconv"
)

// ValueKind is the type of a Value.
type ValueKind uint8

// Value kinds. The zero Value is null.
const (
	ValueNull ValueKind = iota
	ValueString
	ValueNumber
	ValueBool
)

func (k ValueKind) String() string {
	switch k {
	case ValueNull:
		return "null"
	case ValueString:
		return "string"
	case ValueNumber:
		return "number"
	case ValueBool:
		return "bool"
	}
	return "ValueKind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a small JSON-compatible value for free attributes and
// properties: null, a string, a finite number or a bool. Dates and times are
// strings (RFC 3339). Values compare with Equal, which go-cmp uses.
type Value struct {
	kind ValueKind
	s    string
	n    float64 // the number; 1 for true
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{kind: ValueString, s: s} }

// NumberValue returns a number Value. NaN and infinities are not valid
// (Validate reports them, and they cannot be encoded).
func NumberValue(f float64) Value { return Value{kind: ValueNumber, n: f} }

// BoolValue returns a bool Value.
func BoolValue(b bool) Value {
	v := Value{kind: ValueBool}
	if b {
		v.n = 1
	}
	return v
}

// Kind returns the kind of v.
func (v Value) Kind() ValueKind { return v.kind }

// String returns the string of a string value and a text form of any other.
func (v Value) String() string {
	switch v.kind {
	case ValueString:
		return v.s
	case ValueNull:
		return "null"
	}
	return string(v.appendJSON(nil))
}

// Number returns the number of a number value, 0 for other kinds.
func (v Value) Number() float64 {
	if v.kind != ValueNumber {
		return 0
	}
	return v.n
}

// Bool returns the bool of a bool value, false for other kinds.
func (v Value) Bool() bool { return v.kind == ValueBool && v.n != 0 }

// IsEmpty reports whether v is null or the empty string. Survivorship never
// lets an empty value replace another.
func (v Value) IsEmpty() bool {
	return v.kind == ValueNull || v.kind == ValueString && v.s == ""
}

// Equal reports whether v and o are the same value. NaN equals NaN.
func (v Value) Equal(o Value) bool {
	if v.kind != o.kind || v.s != o.s {
		return false
	}
	return v.n == o.n || math.IsNaN(v.n) && math.IsNaN(o.n)
}

// valid reports whether v can be encoded.
func (v Value) valid() bool {
	return v.kind <= ValueBool && !math.IsNaN(v.n) && !math.IsInf(v.n, 0)
}

// MarshalJSON encodes v as a JSON null, string, number or bool.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.valid() {
		return nil, ErrInvalid
	}
	return v.appendJSON(nil), nil
}

// UnmarshalJSON decodes a JSON null, string, number or bool.
func (v *Value) UnmarshalJSON(b []byte) error {
	d := decoder{data: b}
	d.skipSpace()
	x, err := d.value()
	if err == nil {
		d.skipSpace()
		if d.pos != len(d.data) {
			err = d.errorf(ErrSyntax, "trailing data")
		}
	}
	if err != nil {
		return err
	}
	*v = x
	return nil
}

func (v Value) appendJSON(dst []byte) []byte {
	switch v.kind {
	case ValueString:
		return appendString(dst, v.s)
	case ValueNumber:
		return appendFloat(dst, v.n)
	case ValueBool:
		return strconv.AppendBool(dst, v.n != 0)
	}
	return append(dst, "null"...)
}

// appendFloat formats f as encoding/json does.
func appendFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, f, format, -1, 64)
}
