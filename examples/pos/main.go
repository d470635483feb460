// Command pos is an example point-of-sale integration for the Unify engine:
// it imports the stores' loyalty signups and receipts from CSV files as they
// appear in an inbox directory.
//
// Usage:
//
//	pos [-inbox inbox] [-dir data] [-region FI] [-tz Europe/Helsinki] [-interval 2s] [-once]
//
// # The inbox
//
// Every -interval the inbox is listed, and the files named customers-*.csv
// and receipts-*.csv (say customers-2026-03-02-kamppi.csv) are processed in
// name order, all the files of one poll in one engine Import. Each
// processed file is moved to inbox/done/ (replacing a file of the same
// name there); its rejected rows, if any, are written to
// inbox/rejects/<file>.jsonl, one JSON object per row:
//
//	{"line": 4, "field": "total", "error": "...", "row": {"store": "...", ...}}
//
// A file whose header lacks a required column is not imported at all: it
// is moved to inbox/rejects/<file>, with the reason in <file>.jsonl.
//
// Contract for writers: write the file under another name (such as
// receipts-2026-03-02.csv.tmp, which is ignored) and rename it to its .csv
// name when complete; a rename is atomic within one file system. As a
// safety net for writers that write in place, a file is taken only when its
// size and modification time are the same at two polls in a row, so a file
// is read one -interval after it stopped changing at the earliest; a writer
// that pauses for longer than that must rename. With -once, every matching
// file present is taken at once, so -once relies on the rename.
//
// Records are idempotent: the record IDs are stable (source "pos", receipts
// pos/receipt-<store>-<receipt_no>, customers
// pos/customer-<store>-<hash of card, phone, email and time>, no personal
// data in the change feed). A file processed again, after a crash before it
// was moved or because it was delivered twice, changes nothing; a corrected
// version replaces the earlier rows.
//
// # CSV files
//
// The first line is a header naming the columns, in any order, case
// insensitive; unknown columns are ignored. The separator is a comma, a
// semicolon (as Finnish spreadsheets write) or a tab, whichever the header
// uses most; fields holding the separator are quoted. Files are UTF-8
// (with or without a byte order mark) or, when not valid UTF-8, Windows-1252.
//
// customers-*.csv: store, card (loyalty card number), first_name,
// last_name, phone, email, sms_consent, email_consent, time. time is
// required, and one of card, phone and email. Consents are yes or no (also
// y/n, kyllä/ei, k/e, true/false, 1/0); empty records no consent event.
//
// receipts-*.csv: store, receipt_no, card, phone, time, total, lines, and
// optionally currency (default EUR) and coupon. store, receipt_no, time and
// total are required. A receipt with neither card nor phone cannot be tied
// to a person: it is skipped and counted as anonymous, not rejected. A
// negative total is a return. lines is a list of items separated by ";",
// each sku:category:quantity:unit_price, like
//
//	C-200:curtains:2:44,95;H-1:hooks:1:5
//
// Amounts are written with a decimal comma ("59,90") or point ("59.90"),
// optionally with thousands separators between groups of three digits
// ("1 234,50", "1.234,50") and a trailing € or EUR.
//
// Times are RFC 3339 (2026-03-02T14:05:00+02:00), or without an offset in
// the stores' time zone (-tz): 2026-03-02 14:05[:00], 2026-03-02T14:05[:00],
// or as Finnish cashiers write them, 2.3.2026 14.05 or 2.3.2026 14:05[:00].
//
// Phones are read in -region when written without a country code:
// "040 123 4567", "0401234567", "040-1234567" and "+358 40 123 4567" are one
// number. A row whose identifiers all fail to normalize is rejected; a row
// with one bad identifier among good ones is imported (the engine keeps the
// bad one unlinked) and counted as a warning.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // -tz works where the system has no zone database

	"github.com/unifycdp/unify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pos:", err)
		os.Exit(1)
	}
}

// run polls the inbox until ctx is done, or with -once processes what is
// there and returns.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	inbox := fs.String("inbox", "inbox", "`directory` where customers-*.csv and receipts-*.csv files arrive;\nprocessed files go to its done/, rejected rows to its rejects/")
	dir := fs.String("dir", "data", "`directory` of the engine's Badger store")
	region := fs.String("region", "FI", "`region` (ISO 3166-1 alpha-2) of phone numbers written without a country code")
	tz := fs.String("tz", "Europe/Helsinki", "time `zone` of the stores, for times written without an offset")
	interval := fs.Duration("interval", 2*time.Second, "how often to poll the inbox; a file is taken once it is unchanged for one interval")
	once := fs.Bool("once", false, "process the files in the inbox now and exit (writers must rename complete files into place)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: pos [flags]

Imports point-of-sale loyalty signups (customers-*.csv) and receipts
(receipts-*.csv) from an inbox directory into a Unify engine. See the
package documentation (go doc) for the CSV columns and the inbox contract.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if *interval <= 0 {
		return errors.New("-interval must be positive")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("-tz: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	eng, err := unify.Open(ctx, unify.Options{
		Dir:         *dir,
		PhoneRegion: *region,
		Sources:     map[string]unify.SourceOptions{source: {PhoneRegion: *region}},
		Logger:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	defer eng.Close()
	p, err := newProcessor(eng, *inbox, loc, log, stdout)
	if err != nil {
		return err
	}
	if *once {
		_, err := p.pass(ctx, false)
		return errors.Join(err, eng.Close())
	}
	fmt.Fprintf(stdout, "pos: watching %s every %v\n", *inbox, *interval)
	t := time.NewTicker(*interval)
	defer t.Stop()
	for {
		if _, err := p.pass(ctx, true); err != nil && ctx.Err() == nil {
			// The files stay in the inbox and are tried again.
			log.Error("pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return eng.Close()
		case <-t.C:
		}
	}
}
