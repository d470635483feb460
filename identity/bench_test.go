package identity_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/store"
)

// benchGraph loads a graph of people*3 identifiers (email, phone, loyalty
// card) through the bulk path.
func benchGraph(b *testing.B, s store.Store, g *identity.Graph, people int) {
	ctx := context.Background()
	l := g.NewLoader(identity.LoaderOptions{})
	var keys []identity.RecordKey
	for p := range people {
		ids := []identity.ID{
			identity.Email(fmt.Sprintf("person%d@posti.fi", p)),
			identity.Phone(fmt.Sprintf("+35840%07d", p)),
			identity.LoyaltyCard(fmt.Sprintf("7%09d", p)),
		}
		k := identity.RecordKey{Time: int64(p), Source: "pos", ID: fmt.Sprint(p)}
		if err := l.Add(k, ids); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	if _, err := l.Resolve(ctx); err != nil {
		b.Fatal(err)
	}
	w, err := s.(store.BatchWriter).NewBatch(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Write(w); err != nil {
		b.Fatal(err)
	}
	rw := l.RecordWriter(w)
	for _, k := range keys {
		set, _ := l.RecordSet(k.Source, k.ID)
		if err := rw.WriteRecord(k, set); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLink links one new record (an existing person's email with a
// new cookie: the common case) into a graph of a million identifiers.
//
//	go test -run XXX -bench Link -benchmem ./identity
func BenchmarkLink(b *testing.B) {
	const people = 333_334 // ≈ 1,000,000 identifiers
	for name, open := range stores(b) {
		b.Run(name, func(b *testing.B) {
			s := open()
			defer s.Close()
			g := identity.New(identity.Options{})
			benchGraph(b, s, g, people)
			ctx := context.Background()
			i := 0
			b.ResetTimer()
			for b.Loop() {
				p := (i * 7919) % people
				ids := []identity.ID{identity.Email(fmt.Sprintf("person%d@posti.fi", p)), identity.Cookie(fmt.Sprintf("ck-%d", i))}
				err := s.Update(ctx, func(tx store.Tx) error {
					_, err := g.Link(tx, identity.RecordKey{Time: int64(people + i), Source: "web", ID: fmt.Sprint(i)}, ids)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkLoader resolves 100,000 records of 10,000 people in memory
// (Add, Resolve, Write into a batch); ns/op is per record.
func BenchmarkLoader(b *testing.B) {
	const people, perPerson = 10_000, 10
	type rec struct {
		key identity.RecordKey
		ids []identity.ID
	}
	var recs []rec
	for p := range people {
		for i := range perPerson {
			ids := []identity.ID{identity.Cookie(fmt.Sprintf("ck-%d-%d", p, i%3))}
			switch i % 4 {
			case 0:
				ids = append(ids, identity.Email(fmt.Sprintf("person%d@posti.fi", p)))
			case 1:
				ids = append(ids, identity.LoyaltyCard(fmt.Sprintf("7%09d", p)), identity.Phone(fmt.Sprintf("+35840%07d", p)))
			case 2:
				ids = append(ids, identity.Email(fmt.Sprintf("person%d@posti.fi", p)), identity.LoyaltyCard(fmt.Sprintf("7%09d", p)))
			}
			recs = append(recs, rec{identity.RecordKey{Time: int64(i*people + p), Source: "s", ID: fmt.Sprint(p, "-", i)}, ids})
		}
	}
	g := identity.New(identity.Options{})
	ctx := context.Background()
	for b.Loop() {
		l := g.NewLoader(identity.LoaderOptions{})
		for _, r := range recs {
			if err := l.Add(r.key, r.ids); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := l.Resolve(ctx); err != nil {
			b.Fatal(err)
		}
		if err := l.Write(discard{}); err != nil {
			b.Fatal(err)
		}
		rw := l.RecordWriter(discard{})
		for _, r := range recs {
			set, _ := l.RecordSet(r.key.Source, r.key.ID)
			if err := rw.WriteRecord(r.key, set); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

type discard struct{}

func (discard) Set(k, v []byte) error { return nil }
