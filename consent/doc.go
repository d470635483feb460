// Package consent models consent events and resolves them into the consents
// of a profile.
//
// A Consent is one event: at a time, a person granted or withdrew a Purpose
// (email_marketing, sms_marketing, push, third_party_ads, profiling, or a
// host's own lower-case name), as recorded by a source system in one of its
// records, optionally for one identifier only (its Scope: SMS marketing to one
// phone number). A Set keeps, for every (purpose, scope), the event that wins:
// the latest by event time; on an exact tie a withdrawal, so that a
// withdrawal is never lost; then the greater (source, record ID), so that the
// result never depends on the order in which events arrive. Resolve builds a
// Set from scratch and Set.Apply adds one event; they agree for any order, and
// merging the Sets of two profiles gives the Set of all their events.
//
// Set.Allowed answers whether a purpose may be used, in general (nil scope:
// only the unscoped consent counts) or for one identifier. For an
// identifier, the scoped and the unscoped consent both count: the later one
// decides (a withdrawal on a tie), except that a scoped withdrawal is lifted
// only by a later scoped grant, never by a general grant. No consent means
// not allowed.
//
//	var s consent.Set
//	s.Apply(consent.Consent{Purpose: consent.EmailMarketing, Status: consent.Granted,
//		Time: t, Source: "webstore", RecordID: "u-901"})
//	if s.Allowed(consent.EmailMarketing, nil) { ... }
//
// # Caveats
//
//   - Apply and Resolve do not validate; validate events with Consent.Validate
//     where they enter the system.
//   - Scope values are compared as they are: normalize them (as identifiers
//     are normalized for the identity graph) before they reach a Set.
//   - Times are compared as instants; a Set stores them in UTC.
//   - Allowed does not know about legal bases other than consent, nor about
//     expiry: a grant stays in force until a later withdrawal.
//   - A Set keeps only the winning event per (purpose, scope), not the
//     history; the records that carried the events are the audit trail.
package consent
