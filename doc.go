// Package unify is the engine of the Unify customer data platform: it takes
// records from every system where a retailer meets its customers (website
// cookies, webstore orders, POS receipts and loyalty signups, customer
// service) and keeps one live profile per person.
//
// Every ingested record is kept as evidence. Identifiers are normalized
// (package normalize), the identity graph decides which records belong to
// one person (package identity), and each profile — identifiers, merged
// attributes, traits, consents — is derived from its records (package
// profile). Because everything is derived from the evidence, a merge is
// explainable (Explain), a wrong record can be deleted and its merge undone
// exactly (Delete), and a person can be erased completely (Erase).
//
//	eng, err := unify.Open(ctx, unify.Options{Dir: "data", PhoneRegion: "FI"})
//	if err != nil { ... }
//	defer eng.Close()
//	res, err := eng.Ingest(ctx, rec)               // one record, in real time
//	rep, err := eng.ImportJSONLines(ctx, f, unify.ImportOptions{}) // years of history
//	p, err := eng.Profile(ctx, identity.Phone("040 123 4567"))
//	for c, err := range eng.Watch(ctx, lastSeq+1) { ... } // the change feed
//
// Every change appends to a durable, ordered feed (Changes, Watch) that
// consumers read from an offset and resume after a restart. Segments
// (Options.Segments, written in the language of package segment) are
// evaluated on every profile change; entering and leaving one is in the feed
// too.
//
// # Caveats
//
// Writes are serialized inside one Engine (reads are not). Import and
// Rebuild hold the write lock for their whole run.
//
// Profile aliases record the IDs that were handed out before merges; they
// are history, so two stores that received the same records in different
// orders agree on everything but the aliases.
//
// Changing identity policies or survivorship rules does not touch stored
// profiles: call Rebuild (identity.Graph.DryRun shows what it would change).
//
// A profile that is merged away, removed or erased leaves its segments
// without segment_exited entries: its profile_merged, profile_removed or
// profile_erased entry ends them. Segments whose rules depend on time change
// only when RefreshSegments runs.
//
// A bulk import into a store that already holds records re-derives every
// profile and reports only merges, splits and new profiles in the feed, not
// the profiles that merely gained records; ImportAuto uses the incremental
// path there, which reports everything.
//
// A first load into the engine's own Badger store is staged (see
// Staging): it is built in sorted runs on disk and written in one pass at
// the end. If it is interrupted, writes fail with ErrImportPending until
// the next Import removes what it had written; its data must then be
// imported again. StageNever writes as it goes instead, and the next
// Import finishes an interrupted load from the records that landed.
package unify
