package normalize

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// result is a normalizer's answer in a form cmp.Diff can show: the value,
// or the kind of error and its position.
type result struct {
	Value string
	Kind  Kind
	Pos   int
	Err   bool
}

func ok(v string) result { return result{Value: v} }

func fails(k Kind, pos int) result { return result{Kind: k, Pos: pos, Err: true} }

// resultOf converts a normalizer's answer, checking that any error is an
// *Error about input s of field that wraps the sentinel of its Kind.
func resultOf(t *testing.T, field, s, v string, err error) result {
	t.Helper()
	if err == nil {
		return ok(v)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if !errors.Is(err, e.Kind.Sentinel()) || e.Input != s || e.Field != field {
		t.Errorf("error %#v: want Field %q, Input %q and Err wrapping %v", e, field, s, e.Kind.Sentinel())
	}
	if v != "" {
		t.Errorf("value %q returned with error %v", v, err)
	}
	return fails(e.Kind, e.Pos)
}

func TestEmail(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		in   string
		opts EmailOptions
		want result
	}{
		{"  Jane.Doe@Example.COM ", EmailOptions{}, ok("jane.doe@example.com")},
		{"Jane.Doe@Example.COM", EmailOptions{KeepLocalCase: true}, ok("Jane.Doe@example.com")},
		{"jane@example.com.", EmailOptions{}, ok("jane@example.com")},
		{"JÖRG@BÜCHER.DE", EmailOptions{}, ok("jörg@bücher.de")},
		{"jo\u0308rg@bu\u0308cher.de", EmailOptions{}, ok("jörg@bücher.de")}, // NFD in, NFC out
		{`"John Doe"@example.com`, EmailOptions{}, ok(`"john doe"@example.com`)},
		{`"a@b"@example.com`, EmailOptions{}, ok(`"a@b"@example.com`)},
		{`"a\"b"@example.com`, EmailOptions{KeepLocalCase: true}, ok(`"a\"b"@example.com`)},
		{"o'brien+news@example.co.uk", EmailOptions{}, ok("o'brien+news@example.co.uk")},
		{"x@xn--bcher-kva.de", EmailOptions{}, ok("x@xn--bcher-kva.de")},
		{long + "@example.com", EmailOptions{}, ok(long + "@example.com")},

		// Provider rules.
		{"Jane.Doe+shop@GoogleMail.com", EmailOptions{ProviderRules: true}, ok("janedoe@gmail.com")},
		{"J.a.n.e@gmail.com", EmailOptions{ProviderRules: true, KeepLocalCase: true}, ok("jane@gmail.com")},
		{"jane.doe+x@outlook.com", EmailOptions{ProviderRules: true}, ok("jane.doe@outlook.com")},
		{"jane.+x@icloud.com", EmailOptions{ProviderRules: true}, ok("jane@icloud.com")},
		{"+x@gmail.com", EmailOptions{ProviderRules: true}, ok("+x@gmail.com")},
		{"jane.doe+x@example.com", EmailOptions{ProviderRules: true}, ok("jane.doe+x@example.com")},
		{`"jane+x"@gmail.com`, EmailOptions{ProviderRules: true}, ok(`"jane+x"@gmail.com`)},
		{"Jane.Doe+shop@GoogleMail.com", EmailOptions{}, ok("jane.doe+shop@googlemail.com")},

		// Failures, with the byte offset of the problem in the input.
		{"", EmailOptions{}, fails(KindEmpty, -1)},
		{" \t\n", EmailOptions{}, fails(KindEmpty, -1)},
		{"jane", EmailOptions{}, fails(KindInvalid, -1)},
		{"@example.com", EmailOptions{}, fails(KindInvalid, 0)},
		{" jane@", EmailOptions{}, fails(KindInvalid, 6)},
		{"jane@@example.com", EmailOptions{}, fails(KindInvalid, 5)},
		{"jane@ex@ample.com", EmailOptions{}, fails(KindInvalid, 7)},
		{"jane doe@example.com", EmailOptions{}, fails(KindInvalid, 4)},
		{".jane@example.com", EmailOptions{}, fails(KindInvalid, 0)},
		{"jane.@example.com", EmailOptions{}, fails(KindInvalid, 4)},
		{"ja..ne@example.com", EmailOptions{}, fails(KindInvalid, 3)},
		{"ja(ne)@example.com", EmailOptions{}, fails(KindInvalid, 2)},
		{"Jane <jane@example.com>", EmailOptions{}, fails(KindInvalid, 4)},
		{"jane@example", EmailOptions{}, fails(KindInvalid, 5)},
		{"jane@example..com", EmailOptions{}, fails(KindInvalid, 13)},
		{"jane@.example.com", EmailOptions{}, fails(KindInvalid, 5)},
		{"jane@-example.com", EmailOptions{}, fails(KindInvalid, 5)},
		{"jane@example-.com", EmailOptions{}, fails(KindInvalid, 12)},
		{"jane@exa_mple.com", EmailOptions{}, fails(KindInvalid, 8)},
		{"jane@exa mple.com", EmailOptions{}, fails(KindInvalid, 8)},
		{"jane@192.168.0.1", EmailOptions{}, fails(KindInvalid, 15)},
		{"jane@[192.168.0.1]", EmailOptions{}, fails(KindInvalid, 5)},
		{"ja\x00ne@example.com", EmailOptions{}, fails(KindInvalid, 2)},
		{"ja\xffne@example.com", EmailOptions{}, fails(KindInvalid, 2)},
		{"jane\u200b@example.com", EmailOptions{}, fails(KindInvalid, 4)},
		{`"jane@example.com`, EmailOptions{}, fails(KindInvalid, 0)},
		{`"jane"example.com`, EmailOptions{}, fails(KindInvalid, 6)},
		{`""@example.com`, EmailOptions{}, fails(KindInvalid, 0)},
		{long + "a@example.com", EmailOptions{}, fails(KindTooLong, 0)},
		{"jane@" + strings.Repeat("a", 64) + ".com", EmailOptions{}, fails(KindTooLong, 5)},
		{"jane@" + strings.Repeat("abcdefghi.", 25) + "com", EmailOptions{}, fails(KindTooLong, -1)},
		{strings.Repeat("a", 2000), EmailOptions{}, fails(KindTooLong, -1)},
	}
	for _, tt := range tests {
		v, err := Email(tt.in, tt.opts)
		if diff := cmp.Diff(tt.want, resultOf(t, "email", tt.in, v, err)); diff != "" {
			t.Errorf("Email(%q, %+v) mismatch (-want +got):\n%s", tt.in, tt.opts, diff)
		}
	}
}
