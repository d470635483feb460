// Package segment is a small expression language that defines segments
// over profiles: a segment is a condition such as
//
//	orders >= 3 and spend > 250 and within(last_order, 90d)
//
// and a profile belongs to it when the condition holds. The engine
// evaluates the segments of a Set on every profile change to emit
// segment entered and exited events, so evaluation is fast (well under a
// microsecond a segment) and pure.
//
// An expression goes through separate phases: Parse turns the source into
// a Tree; Check types it against an Env, the profile schema, reporting
// unknown fields (with suggestions), operand types and function arity; a
// Program compiled from the Checked tree (NewProgram) is immutable and
// safe for concurrent use, and Program.Eval evaluates it against a
// profile at a given time. Compile does all three; NewSet compiles many
// named segments.
//
//	p, err := segment.Compile(`"curtains" in categories_bought and not has(email)`, segment.Options{})
//	if err != nil {
//		fmt.Println(err.(segment.ErrorList).Detail()) // each error with a caret under the offending text
//	}
//	ok, err := p.Eval(profile, time.Now())
//
// # Grammar
//
//	Expr     = AndExpr { "or" AndExpr } .
//	AndExpr  = NotExpr { "and" NotExpr } .
//	NotExpr  = "not" NotExpr | CmpExpr .
//	CmpExpr  = AddExpr [ CmpOp AddExpr ] .      // comparisons do not chain
//	CmpOp    = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in" .
//	AddExpr  = MulExpr { ( "+" | "-" ) MulExpr } .
//	MulExpr  = Unary { ( "*" | "/" ) Unary } .
//	Unary    = "-" Unary | Primary .
//	Primary  = Literal | Field | Call | List | "(" Expr ")" .
//	Field    = name { "." name | "[" string "]" } .
//	Call     = name "(" [ Expr { "," Expr } [ "," ] ] ")" .
//	List     = "[" [ Expr { "," Expr } [ "," ] ] "]" .   // string or number constants
//	Literal  = number | duration | string | "true" | "false" | "null" .
//
//	name     = letter { letter | digit } .             // letter: a-z A-Z _
//	number   = digits [ "." digits ] .                 // 3, 49.90
//	duration = number unit { number unit } .           // 30d, 12h, 90m, 1h30m, 1.5h
//	unit     = "w" | "d" | "h" | "m" | "s" | "ms" .
//	string   = `"` { char | escape } `"` .             // Go escapes: \" \\ \n \u00e9
//
// Keywords (and, or, not, in, true, false, null) are lower-case. Spaces,
// tabs and newlines separate tokens; // line comments and /* */ comments
// are allowed anywhere between tokens.
//
// # Types and fields
//
// Types are bool, number, money (an exact amount in the profile's primary
// currency), string, time, duration, list(string), list(number) and dyn
// (an attribute, whose type is known only at run time). The fields of
// DefaultEnv:
//
//	records                     number    records applied
//	first_seen, last_seen       time      earliest, latest record
//	last_active                 time      latest order, event or ticket
//	orders, returns, tickets    number
//	currency                    string    primary currency
//	spend, aov                  money     net spend, average order value
//	first_order, last_order     time
//	favourite_store             string
//	channels, categories_bought, categories_browsed, coupons   list(string)
//	known                       bool      has an email, phone, customer_id or loyalty_card
//	now                         time      the evaluation time
//	rfm.recency, rfm.frequency, rfm.monetary   number   1 to 5, as of now
//	events.<name>               number    count of events by name
//	orders_by_channel.<name>, orders_by_store.<name>, records_by_kind.<name>   number
//	spend_by_channel.<name>     money
//	attr.<name>                 dyn       attr.tier, attr.address.city, attr["Shoe size"]
//
// A map key may be written as a dotted path or as a string index:
// events["Product Viewed"]. A missing key reads as 0 (an attribute as
// null).
//
// Operators: and, or, not take conditions. == and != compare values of
// one type; < <= > >= order numbers, money, strings, times and durations.
// x in list and x not in list test membership in a list field or a list
// constant; with a string on the right, in tests for a substring. + and -
// apply to numbers, money, durations, time ± duration and time - time;
// * and / to numbers, money or durations by a number, and the ratio of
// two money amounts or two durations. A number constant next to money is
// an amount: spend > 100 means 100.00 in the profile's currency, and
// spend > 10.005 is an error.
//
// Functions:
//
//	has(email)              the profile has an identifier of this type (any lower-case type name)
//	has(attr.<name>)        the attribute is present and not empty
//	consent(email_marketing) the purpose is granted (unscoped consent, consent.Set.Allowed)
//	within(t, d)            t is at most d before now (later times count too)
//	any(list, list)         the lists share an element
//	startswith(s, prefix), endswith(s, suffix)   bool
//	lower(s)                string
//	len(list or string)     number
//
// # Limits
//
// Options bound every phase, with defaults when zero: the source length
// (16 KiB, ErrTooLong), the nesting depth (64, ErrTooDeep), the number of
// nodes (2000, ErrTooComplex) and the cost of one evaluation (100,000,
// ErrCostExceeded): each node evaluated costs 1, and list operations cost
// one a list element (any of two list fields, the product of their
// lengths). The parser, the checker and the compiler recover their own
// panics into errors; no input makes them panic.
//
// # Errors
//
// Parse, Check, Compile and NewSet return an ErrorList of *Error, each
// with the byte offset of the offending text; Error prints line:column
// and Detail adds the source line with a caret under it. The parser stops
// at the first syntax error; the checker reports up to MaxErrors.
//
// # Caveats
//
// Values that are absent at run time are null, and a comparison with
// null is false, except != which is true: a profile without orders has a
// null last_order, so both last_order > now - 90d and
// last_order < now - 90d are false for it; test last_order == null to find
// it. Likewise attr.<name> is dynamic: a type mismatch at run time (a
// string attribute compared with a number, a number attribute given to
// startswith) is not an error but makes the comparison false (!= true),
// arithmetic null, and a non-bool attribute used as a condition false;
// so not attr.vip holds for a profile without the attribute. An attribute
// compared with money is read as a number of currency units; compared
// with a time, a string in RFC 3339, "2006-01-02 15:04:05" or
// "2006-01-02" form is parsed as a time.
//
// Money fields are in the profile's primary currency (profile.Traits):
// spend > 100 compares amounts without knowing the currency; add
// currency == "EUR" to be precise.
//
// has(t) accepts any identifier type name, since hosts define their own;
// a name within a typo of a built-in type (emial) is reported as an error.
// consent(p) does the same with purposes.
//
// Division by zero, and money or durations out of range, give null.
// rfm.* and within depend on the time passed to Eval, so a segment using
// them can change without any change to the profile.
package segment
