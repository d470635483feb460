package unify_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
)

// A first load of history into the embedded Badger store, staged: built in
// memory, then written in one sorted pass. Then a lookup by a phone number
// written the way a call centre would.
func ExampleEngine_ImportJSONLines() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "unify-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	eng, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
	if err != nil {
		panic(err)
	}
	defer eng.Close()

	history := strings.NewReader(`{"source":"pos","id":"L1","kind":"customer","time":"2024-01-01T09:00:00Z","identifiers":[{"type":"loyalty_card","value":"6999016402"},{"type":"phone","value":"045 864 7352"}],"customer":{"first_name":"Stefan"}}
{"source":"webstore","id":"C1","kind":"customer","time":"2024-01-02T10:00:00Z","identifiers":[{"type":"customer_id","value":"185079191"},{"type":"phone","value":"+358 45 864 7352"},{"type":"email","value":"Stefan@Example.fi"}],"customer":{"last_name":"Hyvönen"}}
{"source":"webstore","id":"C2","kind":"customer","time":"2024-01-03T11:00:00Z","identifiers":[{"type":"customer_id","value":"185079192"},{"type":"email","value":"risto@example.fi"}],"customer":{"first_name":"Risto"}}
not json
`)
	rep, err := eng.ImportJSONLines(ctx, history, unify.ImportOptions{Staging: unify.StageAlways})
	if err != nil {
		panic(err)
	}
	fmt.Printf("bulk %v: %d read, %d added, %d rejected, %d profiles\n",
		rep.Mode == unify.ImportBulk, rep.Read, rep.Added, rep.Rejected, rep.Profiles)
	for _, r := range rep.Rejects {
		fmt.Printf("line %d: %v\n", r.Position, r.Err)
	}

	p, err := eng.Profile(ctx, identity.Phone("0458647352"))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Records, "records,", len(p.Identifiers), "identifiers")
	// Output:
	// bulk true: 4 read, 3 added, 1 rejected, 2 profiles
	// line 4: unify: record refused: profile: syntax error: unexpected 'n', want object (offset 0)
	// 2 records, 4 identifiers
}
