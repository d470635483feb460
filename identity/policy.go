package identity

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Policy says how identifiers of one type take part in resolution.
// The zero Policy links freely: priority 0, no limit, never shared.
type Policy struct {
	// Priority orders types from strongest to weakest. A record joins the
	// profile of its highest-priority identifier, and when a link would break
	// a limit, the lower-priority identifier is the one left unlinked.
	Priority int
	// MaxPerProfile is the most distinct values of this type one profile may
	// hold; a link that would exceed it is refused. 0 means no limit.
	MaxPerProfile int
	// Anonymous marks types that do not identify a known person by
	// themselves (cookies, device IDs). A profile holding only anonymous
	// identifiers is anonymous.
	Anonymous bool
	// SharedAfter makes a value shared once it has been seen with more
	// distinct values of one stronger (higher-priority) type than one person
	// may hold: more than SharedAfter, or than that type's MaxPerProfile if
	// that is larger. An email carried by three loyalty cards (two allowed
	// per person) is a family or shop mailbox; a cookie seen with two
	// webstore customer IDs is a shared computer; a cookie seen with three
	// emails may well be one person's. Shared values are kept on records but
	// never link. 0 disables detection for the type.
	SharedAfter int
	// Blocked lists extra normalized values of this type that never link.
	Blocked []string
	// BlockedPatterns are matched against the normalized value; a match never
	// links.
	BlockedPatterns []*regexp.Regexp
}

// Policies configures resolution. Use DefaultPolicies and adjust the copy;
// a Policies value must not be modified after it is handed to a Graph.
type Policies struct {
	// Types holds the policy of each known type.
	Types map[Type]Policy
	// Other is the policy of types not in Types.
	Other Policy
	// NoBuiltinBlocklist turns off the built-in placeholder list
	// (BuiltinBlocked); host entries in each Policy still apply.
	NoBuiltinBlocklist bool
	// MaxComponentSets caps how many distinct identifier sets (records with
	// the same identifiers count once) one connected component may hold.
	// A record that would grow a component past the cap is linked into a
	// component of its own and the result reports ErrComponentCap.
	// 0 means 20000.
	MaxComponentSets int
}

// DefaultPolicies returns the built-in policies: one webstore customer ID
// and at most two loyalty cards per profile (a lost card and its
// replacement), a few emails and phones, many cookies and devices.
func DefaultPolicies() Policies {
	return Policies{
		Types: map[Type]Policy{
			TypeCustomerID:  {Priority: 100, MaxPerProfile: 1},
			TypeLoyaltyCard: {Priority: 90, MaxPerProfile: 2},
			TypeEmail:       {Priority: 80, MaxPerProfile: 5, SharedAfter: 1},
			TypePhone:       {Priority: 70, MaxPerProfile: 5, SharedAfter: 1},
			TypeDeviceID:    {Priority: 40, MaxPerProfile: 20, SharedAfter: 1, Anonymous: true},
			TypeCookie:      {Priority: 30, MaxPerProfile: 200, SharedAfter: 1, Anonymous: true},
		},
		Other: Policy{Priority: 50},
	}
}

// Policy returns the policy for t.
func (p *Policies) Policy(t Type) Policy {
	if pol, ok := p.Types[t]; ok {
		return pol
	}
	return p.Other
}

// sharedLimit is how many distinct values of stronger type s a value of
// type t may be seen with before it is shared (0: detection is off).
func (p *Policies) sharedLimit(t, s Type) int {
	after := p.Policy(t).SharedAfter
	if after <= 0 {
		return 0
	}
	return max(after, p.Policy(s).MaxPerProfile)
}

func (p *Policies) componentCap() int {
	if p.MaxComponentSets > 0 {
		return p.MaxComponentSets
	}
	return 20000
}

// BuiltinBlocked lists placeholder values that people type when a field is
// mandatory and they have nothing to put in it. They are compared with the
// normalized value (for emails: the local part and the domain separately).
var builtinPlaceholders = []string{
	"", "-", "--", ".", "0", "00", "000", "?", "a", "asd", "asdf", "dummy", "email", "fake", "foo",
	"n/a", "na", "nil", "no", "no-email", "no-reply", "noemail", "nomail", "none", "noreply",
	"not available", "notavailable", "null", "sample", "test", "testing", "tbd", "unknown",
	"undefined", "x", "xx", "xxx", "xxxx", "example",
}

var builtinEmailDomains = []string{
	"example.com", "example.org", "example.net", "test.com", "test.fi", "noemail.com", "none.com",
	"email.com", "domain.com", "mailinator.com", "invalid", "localhost", "test.test", "no.email",
}

// BlockReason says why a value never links, or "" if it may.
func (p *Policies) BlockReason(id ID) string {
	pol := p.Policy(id.Type)
	if slices.Contains(pol.Blocked, id.Value) {
		return "blocked by policy"
	}
	for _, rx := range pol.BlockedPatterns {
		if rx.MatchString(id.Value) {
			return fmt.Sprintf("blocked by pattern %q", rx.String())
		}
	}
	if p.NoBuiltinBlocklist {
		return ""
	}
	return builtinBlockReason(id)
}

func builtinBlockReason(id ID) string {
	v := strings.ToLower(strings.TrimSpace(id.Value))
	if slices.Contains(builtinPlaceholders, v) {
		return "placeholder value"
	}
	switch id.Type {
	case TypeEmail:
		local, domain, ok := strings.Cut(v, "@")
		if !ok {
			return ""
		}
		if slices.Contains(builtinEmailDomains, domain) {
			return "placeholder email domain"
		}
		if slices.Contains(builtinPlaceholders, local) {
			return "placeholder email address"
		}
		if repeatedChar(local) && len(local) > 1 {
			return "placeholder email address"
		}
	default:
		digits := strings.TrimLeft(v, "+")
		if repeatedChar(digits) && len(digits) > 1 {
			return "repeated character"
		}
		if isDigits(digits) && (sequential(digits) || countryThenZeros(digits)) {
			return "placeholder number"
		}
	}
	return ""
}

func repeatedChar(s string) bool {
	if s == "" {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sequential reports strings like 123456789 or 0123456789 (6+ digits).
func sequential(s string) bool {
	if len(s) < 6 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] != s[i-1]+1 && !(s[i-1] == '9' && s[i] == '0') {
			return false
		}
	}
	return true
}

// countryThenZeros catches E.164 placeholders such as +358000000000: up to
// three leading digits followed by at least seven zeros.
func countryThenZeros(s string) bool {
	for cc := 1; cc <= 3 && cc < len(s); cc++ {
		rest := s[cc:]
		if len(rest) >= 7 && strings.Trim(rest, "0") == "" {
			return true
		}
	}
	return false
}
