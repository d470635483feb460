package profile

import (
	"math"
	"strconv"
)

// Money is an amount in hundredths of the currency unit (cents): 5990 is
// 59.90. The currency is carried beside it. Every currency is stored with two
// decimals, also those whose minor unit differs (JPY 1000 is Money(100000)).
//
// In JSON, Money decodes from a number (59.9) or a string ("59.90") with at
// most two significant decimals, and encodes as a number with exactly two
// decimals (59.90).
type Money int64

// ParseMoney parses a decimal amount like "59.90", "-5", "1e3" or "0.5". It
// returns an error wrapping ErrMoneySyntax, ErrMoneyPrecision (a non-zero
// digit after the second decimal) or ErrMoneyRange.
func ParseMoney(s string) (Money, error) { return parseMoney([]byte(s)) }

// String formats m with two decimals, like "59.90" or "-0.05".
func (m Money) String() string { return string(appendMoney(nil, m)) }

// AppendText appends m formatted as by String.
func (m Money) AppendText(dst []byte) ([]byte, error) {
	return appendMoney(dst, m), nil
}

// MarshalJSON encodes m as a number with two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return appendMoney(nil, m), nil }

// UnmarshalJSON accepts a JSON number or a string holding a decimal number.
func (m *Money) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	v, err := parseMoney(b)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

func appendMoney(dst []byte, m Money) []byte {
	u := uint64(m)
	if m < 0 {
		dst = append(dst, '-')
		u = -u
	}
	dst = strconv.AppendUint(dst, u/100, 10)
	c := u % 100
	return append(dst, '.', byte('0'+c/10), byte('0'+c%10))
}

var pow10 = [...]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000, 10000000000000,
	100000000000000, 1000000000000000, 10000000000000000, 100000000000000000,
	1000000000000000000, 10000000000000000000}

// parseMoney parses the JSON number grammar (also inside a string).
func parseMoney(b []byte) (Money, error) {
	i := 0
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var mant uint64
	overflow := false
	add := func(d byte) {
		if mant > (math.MaxUint64-9)/10 {
			overflow = true
			return
		}
		mant = mant*10 + uint64(d-'0')
	}
	start := i
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		add(b[i])
		i++
	}
	if i == start || (b[start] == '0' && i-start > 1) {
		return 0, ErrMoneySyntax
	}
	scale := 0 // value = mant / 10^scale
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == fs {
			return 0, ErrMoneySyntax
		}
		fe := i
		for fe > fs && b[fe-1] == '0' { // trailing zeros are not significant
			fe--
		}
		for _, d := range b[fs:fe] {
			add(d)
			scale++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		es := i
		exp := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			if exp < 10000 {
				exp = exp*10 + int(b[i]-'0')
			}
			i++
		}
		if i == es {
			return 0, ErrMoneySyntax
		}
		if eneg {
			scale += exp
		} else {
			scale -= exp
		}
	}
	if i != len(b) {
		return 0, ErrMoneySyntax
	}
	if overflow {
		return 0, ErrMoneyRange
	}
	if mant == 0 {
		return 0, nil
	}
	// cents = mant * 10^(2-scale)
	switch sh := 2 - scale; {
	case sh < 0:
		if -sh >= len(pow10) || mant%pow10[-sh] != 0 {
			return 0, ErrMoneyPrecision
		}
		mant /= pow10[-sh]
	case sh > 0:
		if sh >= len(pow10) || mant > math.MaxUint64/pow10[sh] {
			return 0, ErrMoneyRange
		}
		mant *= pow10[sh]
	}
	if neg {
		if mant > 1<<63 {
			return 0, ErrMoneyRange
		}
		return Money(-mant), nil
	}
	if mant > math.MaxInt64 {
		return 0, ErrMoneyRange
	}
	return Money(mant), nil
}
