// Command webstore is an example webstore backend that embeds the Unify
// engine: the site reports behavioural events, orders and customer signups
// over HTTP, other systems look profiles up, and every change of a profile
// is pushed to a webhook.
//
// Usage:
//
//	webstore [-addr localhost:8080] [-dir DIR] [-region FI] [-webhook URL]
//
// The engine keeps its Badger store in DIR/store (DIR defaults to a
// temporary directory removed on exit) and the webhook pusher its position
// in DIR/webhook.seq.
//
// # Endpoints
//
// Every request and response body is JSON. Errors are
// {"error": "...", "field": "..."}: 400 for bad input, naming the field of
// the request body ("lines[1].unit_price") or, for POST /records, the JSON
// path in the record; 404 when no profile matches.
//
//	POST /events     a behavioural event (source "web")
//	POST /orders     an order (source "webstore")
//	POST /customers  a signup or an update of a customer (source "webstore")
//	POST /records    any record in the JSON format of package profile
//	GET  /profiles?type=phone&value=040+123+4567
//	                 the profile holding an identifier, written in any format
//	GET  /profiles/{id}
//	                 a profile by its ID or by an ID it absorbed in a merge
//	GET  /profiles/{id}/timeline?cursor=&limit=
//	                 its records, newest first: {"profile", "records", "next"}
//	GET  /healthz
//
// POST /events takes
//
//	{"id": "optional idempotency key", "cookie": "ck-3f9a",
//	 "customer_id": "", "email": "", "name": "product_view",
//	 "category": "curtains", "url": "/p/c-200", "query": "", "campaign": "",
//	 "time": "2026-03-02T09:00:00Z"}
//
// with a name and at least one of cookie, customer_id and email; time is
// RFC 3339 and defaults to now.
//
// POST /orders takes
//
//	{"order_id": "1001", "customer_id": "c-42" or "email": "guest@example.com",
//	 "phone": "", "cookie": "ck-3f9a", "time": "...", "currency": "EUR",
//	 "total": 89.90, "discount": 0, "coupon": "CURTAINS20",
//	 "lines": [{"sku": "C-200", "name": "Linen curtain", "category": "curtains",
//	            "quantity": 2, "unit_price": 44.95, "total": 89.90}],
//	 "consents": {"email_marketing": true}}
//
// order_id is required, and a customer_id or an email (a guest order).
// Amounts are numbers or strings with at most two decimals; a line's total
// defaults to quantity × unit_price, the order's total to the sum of its
// lines minus the discount, the currency to EUR. The record is
// webstore/order-<order_id>: posting the order again replaces it (a status
// change, a correction).
//
// POST /customers takes
//
//	{"customer_id": "c-42", "email": "", "phone": "040 123 4567",
//	 "loyalty_card": "", "cookie": "", "first_name": "Jane", "last_name": "Doe",
//	 "birthdate": "1988-04-12", "language": "fi",
//	 "address": {"street": "", "postal_code": "", "city": "", "country": "FI"},
//	 "consents": {"sms_marketing": true, "email_marketing": false},
//	 "time": "..."}
//
// with at least one identifier (customer_id, email, phone, loyalty_card,
// cookie). Consents map a purpose to granted (true) or withdrawn (false).
// Every update is kept as evidence: attributes survive by the latest time.
//
// Records posted to /events and /customers without an "id" get one derived
// from their content, so a retried request with an explicit time is not
// counted twice. Identifiers are checked on the way in: an email or phone
// that does not normalize is a 400 naming it, where the engine would keep
// the record and drop the identifier. An "id" or "order_id" (and a full
// record's source, id and identifier types) is at most 256 bytes, and
// amounts and their sums must fit in int64 cents.
//
// Ingest answers {"record": "source/id", "status": "added"|"replaced"|
// "unchanged", "profile": "...", "changes": [...]}, with 201 for a new
// record and 200 otherwise.
//
// # Webhook
//
// With -webhook, a goroutine watches the engine's change feed and POSTs
// every change, one per request, in sequence order, as the JSON of
// unify.Change ({"seq", "time", "kind", "profile", "from", "record"}; no
// personal data: fetch GET /profiles/{id} for the profile), with the
// header Unify-Seq. Any answer but 2xx is retried with exponential backoff
// (up to a minute), never skipped. After each delivery the sequence number
// is written to DIR/webhook.seq, and a restart resumes after it. A shutdown
// lets the delivery in flight finish, so a restart sends no duplicate; only
// a crash between a delivery and the write of its number sends that change
// again, so receivers that must not see one twice dedupe on Unify-Seq.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

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
		fmt.Fprintln(os.Stderr, "webstore:", err)
		os.Exit(1)
	}
}

// run starts the service and serves until ctx is done, then shuts down
// gracefully: requests in flight finish, the webhook delivery in flight
// finishes, the engine closes.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("webstore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:8080", "listen on `address` (host:port; port 0 picks a free one)")
	dir := fs.String("dir", "", "data `directory`: the Badger store in DIR/store, the webhook position in DIR/webhook.seq\n(default a temporary directory, removed on exit)")
	region := fs.String("region", "FI", "`region` (ISO 3166-1 alpha-2) of phone numbers written without a country code")
	webhook := fs.String("webhook", "", "POST every profile change to `URL`, in order, retrying until it answers 2xx")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: webstore [flags]

An example webstore backend embedding the Unify engine. Endpoints:
  POST /events, /orders, /customers, /records
  GET  /profiles?type=&value=, /profiles/{id}, /profiles/{id}/timeline
See the package documentation (go doc) for the request formats.

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
	log := slog.New(slog.NewTextHandler(stderr, nil))

	if *dir == "" {
		tmp, err := os.MkdirTemp("", "webstore-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	// The store's routine chatter stays out of the service's log.
	engLog := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, err := unify.Open(ctx, unify.Options{Dir: filepath.Join(*dir, "store"), PhoneRegion: *region, Logger: engLog})
	if err != nil {
		return err
	}
	defer eng.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newServer(eng, serverOptions{Logger: log}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(stdout, "webstore: listening on http://%s, data in %s\n", ln.Addr(), *dir)

	// The pusher stops after the HTTP server, so that it sees every change
	// the last requests made.
	pushCtx, stopPush := context.WithCancel(context.Background())
	defer stopPush()
	var wg sync.WaitGroup
	pushErr := make(chan error, 1)
	if *webhook != "" {
		p := newPusher(eng, *webhook, filepath.Join(*dir, "webhook.seq"), log)
		wg.Go(func() { pushErr <- p.run(pushCtx) })
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	case err := <-pushErr:
		srv.Close()
		return fmt.Errorf("webhook pusher stopped: %w", cmp.Or(err, errors.New("engine closed")))
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopPush()
	wg.Wait()
	return errors.Join(err, eng.Close())
}
