// Package gen generates realistic, deterministic retail data of any size:
// the records that a Finnish home-goods chain's webstore, tills, mobile
// app, newsletter and customer service would send to Unify, together with
// the ground truth of which person each record belongs to.
//
// Every person's data derives from (Options.Seed, person index) alone,
// through a PCG random source of their own, so a data set of 10,000,000
// people streams in constant memory, any person can be regenerated on its
// own with Person, and the same options always give the same records. All
// yields records with the true person index, the ground truth for
// precision and recall of identity resolution, interleaved in time within
// blocks of 1000 people rather than grouped by person.
//
// A person has a Finnish or Swedish-Finnish name (diacritics included:
// Jääskeläinen, Äijälä, Öhman), a birthdate, a language (fi, sv, en), a
// home address with a real postal code range and a home store; one to
// three mailboxes typed in different ways (Anna.Virtanen@Gmail.com,
// annavirtanen+shop@gmail.com, with spaces around); zero to two mobile
// numbers (040, 041, 044, 045, 046, 050 and some Swedish +46 7x) written
// as cashiers and web forms write them ("040 123 4567", "+358401234567",
// "00358401234567", "(040) 123 4567", ...); usually a 10-digit loyalty
// card, about half a webstore customer number, one to five cookies and up
// to two app devices. Records are webstore and loyalty sign-ups with
// consents, web and store orders with lines from a catalogue of curtains,
// bedding, towels, rugs, lighting and kitchen goods (coupons, sale prices,
// returns), web, app and newsletter events, unsubscribes and
// customer-service tickets. Identifiers are written in Raw only, as the
// sources wrote them: normalizing them is the engine's job.
//
// For example, to load a data set and measure identity resolution:
//
//	g := gen.New(gen.Options{Seed: 1, People: 100_000})
//	for rec, person := range g.All() {
//		res, err := u.Ingest(ctx, rec)
//		// ... remember which profile person's records went to
//	}
//
// and to write an import file: gen.WriteJSONLines(f, g.All()).
//
// # Ground truth and hard cases
//
// No two people share a mailbox, phone, card, customer number, cookie or
// device, except for the two deliberate hard cases: households (about
// HouseholdRate of the people, in pairs 2k and 2k+1, see
// Generator.Household), where two people, each with their own loyalty
// card and phone, use one family mailbox; and replaced loyalty cards
// (about CardReplacementRate, see Generator.CardReplaced), where the new
// card first appears on a sign-up record with the person's e-mail and
// phone but without the old card. Placeholders (test@test.com,
// noemail@noemail.com, 0000000000, "n/a", ...) appear on about
// PlaceholderRate of the POS and customer-service records and are shared
// by many people. An engine that links by the family mailbox or by
// placeholders merges different people.
//
// Every record is resolvable: leaving out family mailboxes and
// placeholders, the records of one person are connected by identifiers
// that person alone owns. Anonymous identifiers appear with a personal
// one on the first record that uses them (the person logged in or came
// from a newsletter), so perfect recall is possible from the evidence.
//
// # Caveats
//
//   - Identifiers are unique only up to 25,000,000 people (card, phone and
//     customer number spaces); beyond that, values repeat across people.
//   - Names are uniformly distributed over the tables (10,800 first and
//     last name pairs); e-mail addresses of people who repeat a name carry
//     a number (anna.virtanen3@gmail.com).
//   - The record count of a person follows an exponential distribution
//     with the requested mean; a person with a replaced card has at least
//     four records. Count is exact but costs a pass over all people.
//   - Times are spread uniformly over each person's active period, with
//     store purchases moved into opening hours (approximated as UTC+2) and
//     few web visits at night; there is no seasonality.
//   - The data is the same for a given version of this package and of Go
//     (math/rand/v2 streams); it is not a fixture format to commit.
//   - Record IDs contain the person index (in base 36): tests must take
//     the ground truth from All or Person, not guess it from IDs, and an
//     engine must never look at them.
package gen
