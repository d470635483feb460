package segment

import (
	"iter"
	"slices"
	"strings"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

// Type is the static type of an expression.
type Type uint8

// Types. TypeDyn is the type of attr.<name>: its values are null, strings,
// numbers or bools, known only at evaluation time.
const (
	TypeInvalid Type = iota
	TypeBool
	TypeNumber
	TypeMoney
	TypeString
	TypeTime
	TypeDuration
	TypeStringList
	TypeNumberList
	TypeDyn
	TypeNull
)

var typeNames = [...]string{"invalid", "bool", "number", "money", "string", "time", "duration", "list(string)", "list(number)", "dyn", "null"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(?)"
}

func (t Type) isList() bool { return t == TypeStringList || t == TypeNumberList }

// elem returns the element type of a list type.
func (t Type) elem() Type {
	switch t {
	case TypeStringList:
		return TypeString
	case TypeNumberList:
		return TypeNumber
	}
	return TypeInvalid
}

// Field describes a field of the profile schema. A Name ending in .<name>
// is a map: events.<name> stands for events.page_view,
// events["Product Viewed"] and so on.
type Field struct {
	Name string
	Type Type
	Doc  string
}

// fieldID says how to read a field from a profile.
type fieldID uint8

const (
	fRecords fieldID = iota
	fFirstSeen
	fLastSeen
	fLastActive
	fOrders
	fReturns
	fCurrency
	fSpend
	fAOV
	fFirstOrder
	fLastOrder
	fFavouriteStore
	fChannels
	fCategoriesBought
	fCategoriesBrowsed
	fCoupons
	fTickets
	fKnown
	fNow
	fRecency
	fFrequency
	fMonetary
	fEvents
	fSpendByChannel
	fOrdersByChannel
	fOrdersByStore
	fRecordsByKind
	fAttr
)

type fieldDef struct {
	Field
	id    fieldID
	keyed bool // a map: the rest of the path is the key
}

// Env is the schema expressions are checked against: the fields of a
// profile and the functions. It is immutable and safe for concurrent use.
type Env struct {
	fields map[string]*fieldDef // by name; keyed fields by their prefix
	order  []*fieldDef
}

var defaultEnv = newDefaultEnv()

// DefaultEnv returns the environment of the profile schema (see the
// package documentation for its fields).
func DefaultEnv() *Env { return defaultEnv }

func newDefaultEnv() *Env {
	defs := []fieldDef{
		{Field{"records", TypeNumber, "records applied to the profile"}, fRecords, false},
		{Field{"first_seen", TypeTime, "time of the earliest record"}, fFirstSeen, false},
		{Field{"last_seen", TypeTime, "time of the latest record"}, fLastSeen, false},
		{Field{"last_active", TypeTime, "time of the latest order, event or ticket"}, fLastActive, false},
		{Field{"orders", TypeNumber, "orders, returns excluded"}, fOrders, false},
		{Field{"returns", TypeNumber, "returns"}, fReturns, false},
		{Field{"currency", TypeString, "primary currency: that of the most orders"}, fCurrency, false},
		{Field{"spend", TypeMoney, "net spend in the primary currency"}, fSpend, false},
		{Field{"aov", TypeMoney, "average order value in the primary currency"}, fAOV, false},
		{Field{"first_order", TypeTime, "time of the first order"}, fFirstOrder, false},
		{Field{"last_order", TypeTime, "time of the last order"}, fLastOrder, false},
		{Field{"favourite_store", TypeString, "store of the most orders"}, fFavouriteStore, false},
		{Field{"channels", TypeStringList, "channels of orders, returns, events and tickets"}, fChannels, false},
		{Field{"categories_bought", TypeStringList, "categories of ordered lines"}, fCategoriesBought, false},
		{Field{"categories_browsed", TypeStringList, "categories of events"}, fCategoriesBrowsed, false},
		{Field{"coupons", TypeStringList, "coupons used in orders"}, fCoupons, false},
		{Field{"tickets", TypeNumber, "customer-service tickets"}, fTickets, false},
		{Field{"known", TypeBool, "has an email, phone, customer_id or loyalty_card identifier"}, fKnown, false},
		{Field{"now", TypeTime, "the evaluation time"}, fNow, false},
		{Field{"rfm.recency", TypeNumber, "RFM recency score, 1 to 5"}, fRecency, false},
		{Field{"rfm.frequency", TypeNumber, "RFM frequency score, 1 to 5"}, fFrequency, false},
		{Field{"rfm.monetary", TypeNumber, "RFM monetary score, 1 to 5"}, fMonetary, false},
		{Field{"events", TypeNumber, "count of events by name"}, fEvents, true},
		{Field{"spend_by_channel", TypeMoney, "net spend in the primary currency by channel"}, fSpendByChannel, true},
		{Field{"orders_by_channel", TypeNumber, "orders by channel"}, fOrdersByChannel, true},
		{Field{"orders_by_store", TypeNumber, "orders by store"}, fOrdersByStore, true},
		{Field{"records_by_kind", TypeNumber, "records by kind"}, fRecordsByKind, true},
		{Field{"attr", TypeDyn, "attribute by name: null, string, number or bool"}, fAttr, true},
	}
	e := &Env{fields: make(map[string]*fieldDef, len(defs))}
	for i := range defs {
		d := &defs[i]
		e.fields[d.Name] = d
		e.order = append(e.order, d)
	}
	return e
}

// Fields returns the fields of the schema; a map field's Name ends in
// ".<name>".
func (e *Env) Fields() iter.Seq[Field] {
	return func(yield func(Field) bool) {
		for _, d := range e.order {
			f := d.Field
			if d.keyed {
				f.Name += ".<name>"
			}
			if !yield(f) {
				return
			}
		}
	}
}

// lookup resolves a field path to its definition and, for a map, its key.
// On failure it returns a message.
func (e *Env) lookup(path []string) (d *fieldDef, key, msg string) {
	full := strings.Join(path, ".")
	if d := e.fields[full]; d != nil && !d.keyed {
		return d, "", ""
	}
	d = e.fields[path[0]]
	switch {
	case d != nil && d.keyed && len(path) > 1:
		return d, strings.Join(path[1:], "."), ""
	case d != nil && d.keyed:
		return nil, "", path[0] + " needs a name: " + path[0] + ".<name>"
	case d != nil:
		msg := path[0] + " has no fields"
		for _, o := range e.order {
			if o.keyed && strings.HasPrefix(o.Name, path[0]+"_") {
				return nil, "", msg + " (did you mean " + o.Name + "." + path[1] + "?)"
			}
		}
		return nil, "", msg
	}
	names := make([]string, 0, len(e.order))
	for _, o := range e.order {
		names = append(names, o.Name)
	}
	if s := suggest(full, names); s != "" {
		return nil, "", "unknown field " + full + " (did you mean " + s + "?)"
	}
	if path[0] == "rfm" {
		return nil, "", "unknown field " + full + " (want rfm.recency, rfm.frequency or rfm.monetary)"
	}
	if len(path) > 1 {
		if s := suggest(path[0], names); s != "" {
			return nil, "", "unknown field " + full + " (did you mean " + s + "." + strings.Join(path[1:], ".") + "?)"
		}
	}
	return nil, "", "unknown field " + full
}

// Functions, with their signatures for messages.
var functions = map[string]string{
	"has":        "has(identifier type) bool, or has(attr.<name>) bool",
	"consent":    "consent(purpose) bool",
	"within":     "within(time, duration) bool",
	"any":        "any(list, list) bool",
	"startswith": "startswith(string, prefix string) bool",
	"endswith":   "endswith(string, suffix string) bool",
	"lower":      "lower(string) string",
	"len":        "len(list or string) number",
}

var builtinIDTypes = []string{
	string(identity.TypeEmail), string(identity.TypePhone), string(identity.TypeCustomerID),
	string(identity.TypeLoyaltyCard), string(identity.TypeCookie), string(identity.TypeDeviceID),
}

var builtinPurposes = []string{
	string(consent.EmailMarketing), string(consent.SMSMarketing), string(consent.Push),
	string(consent.ThirdPartyAds), string(consent.Profiling),
}

// suggest returns the candidate closest to s by edit distance, if close
// enough to be a likely typo, else "".
func suggest(s string, candidates []string) string {
	best, bestD := "", max(1, min(3, len(s)/3))+1
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance returns the Levenshtein distance of a and b, with
// transpositions counting as one edit; long inputs give up early.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// isTypeName reports whether s is a valid identifier type or purpose name:
// a lower-case letter, then lower-case letters, digits and underscores.
func isTypeName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	return !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_')
	})
}
