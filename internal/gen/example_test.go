package gen_test

import (
	"fmt"
	"os"

	"github.com/unifycdp/unify/internal/gen"
)

func Example() {
	g := gen.New(gen.Options{Seed: 1, People: 1000})
	people := map[int]bool{}
	for rec, person := range g.All() {
		_ = rec // ingest it; person is the ground truth
		people[person] = true
	}
	fmt.Println(len(people), "people,", g.Count() > 5000, "records")

	// A whole person, in time order.
	for _, rec := range g.Person(0)[:1] {
		fmt.Println(rec.Source, rec.Kind, len(rec.Identifiers) > 0)
	}
	// Output:
	// 1000 people, true records
	// webstore customer true
}

func ExampleWriteJSONLines() {
	g := gen.New(gen.Options{Seed: 1, People: 10})
	n, err := gen.WriteJSONLines(os.Stdout, g.All())
	_, _ = n, err
}
