// Package profile holds the customer data model: records, the evidence that
// source systems send, and profiles, the 360° view of one person derived from
// the records attached to the person's identifiers.
//
// # Records
//
// A Record is one fact from one source system: a customer's master data, an
// order or a return, a behavioural event, consent events, a support ticket,
// feedback, a competition entry, an enrichment score, or a kind of the
// host's own. (Source, ID) is its idempotency key. It carries identifiers
// as the source wrote them (Identifier.Raw) and, once the engine has
// normalized them, as normalized values (Identifier.Value) or the reason
// they were rejected (Identifier.Problem). Payloads hang off pointers:
// Customer, Order, Event, Ticket; Consents and free Properties sit beside
// them. Record.Validate checks a record's meaning and lists every problem.
//
// # JSON format
//
// The import format is JSON lines, one record a line, decoded by DecodeJSON
// (and Record.UnmarshalJSON) and written by Record.AppendJSON (and
// MarshalJSON):
//
//	{"source":"webstore","id":"o-1001","kind":"order","time":"2026-03-01T12:00:00Z",
//	 "identifiers":[{"type":"email","value":"Jane@Example.com"}],
//	 "customer":{"first_name":"Jane","last_name":"Doe","birthdate":"1988-04-12","language":"fi","gender":"f",
//	   "address":{"street":"Main St 1","postal_code":"00100","city":"Helsinki","region":"","country":"FI"},
//	   "attributes":{"tier":"gold","vip":true,"score":0.8}},
//	 "order":{"order_id":"1001","store":"webstore","channel":"web","currency":"EUR",
//	   "total":"59.90","discount":5,"coupon":"SPRING","return":false,
//	   "lines":[{"sku":"SH-1","name":"Shoe","category":"shoes","quantity":1,"unit_price":59.9,"total":59.9}]},
//	 "event":{"name":"page_view","channel":"web","url":"...","category":"...","query":"...","campaign":"..."},
//	 "ticket":{"reason":"delivery","priority":"high","channel":"phone","status":"open"},
//	 "consents":[{"purpose":"email_marketing","status":"granted"},
//	   {"purpose":"sms_marketing","status":"withdrawn","time":"2026-02-01T08:00:00Z","source":"app","record_id":"x-1",
//	    "scope":{"type":"phone","value":"+358401234567"}}],
//	 "properties":{"nps":9,"comment":"Quick delivery"}}
//
// Field names are snake_case; unknown and repeated fields are errors, null
// is the same as absent. Times are RFC 3339 and are converted to UTC. In an
// identifier, "value" is the value as the source wrote it (Raw); the engine's
// results travel as "normalized" and "problem". Amounts (Money) are numbers
// or decimal strings with at most two significant decimals, written back as
// numbers with two decimals. Attribute and property values are strings,
// numbers, booleans or null. A consent without time, source or record_id
// takes the record's. Errors are *FieldError values with the record's
// "source/id", the JSON path of the field ("order.lines[2].quantity") and
// the byte offset.
//
// # Binary format
//
// Record.AppendBinary and Profile.AppendBinary write a compact, deterministic
// encoding for the store: a format version byte, then the fields in a fixed
// order, with uvarint lengths and counts and zig-zag varints for numbers;
// maps and Tables are written in ascending key order, and a decoder rejects
// keys in any other. UnmarshalBinary reads it back or returns a *FieldError wrapping ErrCorrupt
// or ErrVersion; it never panics on any input.
//
// # Profiles
//
// A Profile is a function of its records: Derive computes it from scratch,
// in any order, and Profile.Apply adds one record, so that applying records
// one by one, in any order, gives what Derive gives. Its parts:
//
//   - Identifiers: the normalized identifiers of the records that
//     Options.Linked accepts, with their sources, first and last seen, and
//     record counts.
//   - Attributes: customer fields and attributes, and the properties of
//     enrichment records, each the value that survives by the attribute's
//     Rule (RuleLatest by default, RuleSourcePriority, RuleFirst) with the
//     source, record and time it came from. An empty value never overwrites
//     another. The address survives as a whole, from one record.
//   - Consents: the consent.Set of all consent events of the records.
//   - Traits: order count, returns, spend, average order value, spend and
//     order counts by channel, order counts by store, favourite store,
//     first and last order, last seen, channels, categories bought and
//     browsed, coupons, event counts, tickets, record counts by kind.
//     Totals in different currencies are never added: spend is kept per
//     currency, and TotalSpend, AverageOrderValue and SpendByChannel are in
//     the primary currency, the one with the most orders (ties: the
//     alphabetically first). Traits.RFM scores recency, frequency and
//     monetary value as of a given time.
//
// The profile's maps (Attributes, and the traits by channel, store,
// currency, event name and kind) are Tables: small maps kept as slices
// sorted by key, with Get, Set, Ref (for counters), Delete and All; len and
// range work as on any slice. A decoded profile allocates one slice for a
// table (the small tables of numbers share one) where a Go map would take
// several allocations; tables iterate in key order and compare with
// cmp.Diff. In JSON they are objects, like maps.
//
// For example:
//
//	p := profile.Derive("p-1", records, profile.Options{
//		Survivorship: profile.Survivorship{
//			PerAttribute:   map[string]profile.Rule{profile.AttrBirthdate: profile.RuleSourcePriority},
//			SourcePriority: []string{"crm"},
//		},
//		Linked: graph.BelongsTo("p-1"), // the engine's view of which identifiers are this person's
//	})
//	p.Apply(newRecord, opts) // same opts every time
//	fmt.Println(p.Attr(profile.AttrFirstName), p.Traits.TotalSpend, p.Traits.Currency)
//
// Profiles encode to JSON for export (encoding/json with the struct tags)
// and to the binary format for storage, which keeps what Apply needs.
// Profiles log through slog without personal data (LogValue).
//
// # Caveats
//
//   - Apply does not know which records a profile holds: applying a record
//     twice counts it twice. A changed or removed record (a new version of
//     (source, id), an erasure, an unmerge) needs Derive over the current
//     records. Derive expects distinct keys.
//   - A Table built by hand (a literal, append) must keep its keys strictly
//     ascending, as Set and Ref do: lookups in one that does not miss keys,
//     and AppendBinary refuses it.
//   - Apply must be called with the same Options every time; changing the
//     survivorship rules or the linked identifiers needs Derive.
//   - Traits come from payloads, whatever the record's kind: an order payload
//     on a customer record counts as an order.
//   - Money always has two decimals, whatever the currency's minor unit;
//     sums are not checked for overflow beyond ±92 quadrillion units.
//   - The profile JSON is an export format: it carries no bookkeeping beyond
//     the exported fields and is not read back; store profiles in binary.
//   - Decoded records share one copy of their input among their strings, so
//     a string kept from a record keeps the whole record's text alive.
//   - DecodeJSON does not normalize identifiers nor validate: the engine
//     normalizes, then calls Validate.
package profile
