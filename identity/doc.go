// Package identity decides which records belong to one person.
//
// Records link the identifiers they carry (an email, a phone, a loyalty
// card, a cookie...); a profile is what those links connect. Resolution is a
// function of the evidence: union-find over the identifiers that may link
// gives connected components, and each component is partitioned into
// profiles by processing its records in canonical order (event time,
// source, record ID) under per-type policies. The same records therefore
// give the same profiles, with the same IDs, whatever order they arrive in
// and whether they came one by one (Link) or in bulk (AddEvidence, then
// Rebuild).
//
// Protections against over-merging, all configurable in Policies:
//   - blocked values (built-in placeholders such as test@test.com or
//     0000000000, plus the host's own values and patterns) never link;
//   - a per-type limit of distinct values per profile (one webstore
//     customer ID, two loyalty cards): the link that would break it is
//     refused and the weaker identifier left unlinked, with the reason;
//   - shared-value detection: a value seen with more than SharedAfter
//     distinct values of one stronger type (a family mailbox carried by
//     three loyalty cards) stops linking, and what it joined splits again;
//   - a cap on component size, which unlinks the most connected value.
//
// A profile is named after its earliest record (ProfileIDFor), so a merge
// keeps the older profile's ID, the other ID stays resolvable as an alias
// (CurrentID), and a split leaves the ID with the part holding the earliest
// record. Every Link and Unlink reports the profiles it created, merged,
// split, renamed or removed.
//
// The graph lives in a store.Store and works inside the caller's
// transaction:
//
//	g := identity.New(identity.Options{})
//	err := s.Update(ctx, func(tx store.Tx) error {
//		res, err := g.Link(tx, identity.NewRecordKey(t, "pos", "receipt-1"),
//			[]identity.ID{identity.LoyaltyCard("1234567890"), identity.Email("jane@example.com")})
//		if err != nil {
//			return err
//		}
//		log.Println(res.Profile, res.Changes)
//		return nil
//	})
//
// Explain gives the chain of records that links two identifiers; ExplainID
// says why a value is in no profile; DryRun reports what new policies would
// merge and split before they are applied.
//
// # Caveats
//
// Identifier values must be normalized before they reach the graph (the
// engine does it with package normalize); the graph compares bytes.
//
// Changing policies does not touch stored state: run DryRun, then construct
// a Graph with the new policies and Rebuild.
//
// Resolution cost grows with the component a record touches, not with the
// graph: a record is re-resolved with its component. Records that carry the
// same identifiers are stored once as an identifier set, so a cookie with
// thousands of page views costs one set. The component cap is the one
// protection whose outcome can depend on arrival order (it acts when a
// component grows past the cap); Rebuild applies it to the whole evidence.
//
// Profile IDs derive from the earliest record's source and ID. Deleting that
// record renames the profile (reported as Renamed); the old ID then no
// longer resolves.
package identity
