package profile

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// benchLines returns the order line (3) and the customer line (1) of the
// test data: typical records of a bulk import.
func benchLines(b *testing.B) (order, customer []byte) {
	data, err := os.ReadFile("testdata/records.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	return lines[2], lines[0]
}

func BenchmarkDecodeJSON(b *testing.B) {
	order, customer := benchLines(b)
	for _, bc := range []struct {
		name string
		line []byte
	}{{"order", order}, {"customer", customer}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeJSON(bc.line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodingJSON is the baseline: encoding/json into a type with the
// same fields and no custom decoding (Money and Value keep theirs).
func BenchmarkEncodingJSON(b *testing.B) {
	type plain Record
	order, _ := benchLines(b)
	b.ReportAllocs()
	for b.Loop() {
		var r plain
		if err := json.Unmarshal(order, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	order, _ := benchLines(b)
	r, _ := DecodeJSON(order)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = r.AppendJSON(buf[:0])
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	order, _ := benchLines(b)
	r, _ := DecodeJSON(order)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = r.AppendBinary(buf[:0])
	}
	b.ReportMetric(float64(len(buf)), "bytes/record")
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	order, _ := benchLines(b)
	r, _ := DecodeJSON(order)
	enc, _ := r.AppendBinary(nil)
	b.ReportAllocs()
	for b.Loop() {
		var got Record
		if err := got.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply adds an order to a profile of 17 records.
func BenchmarkApply(b *testing.B) {
	rs := loadRecords(b)
	p := Derive("p", rs, Options{})
	order := rs[2]
	b.ReportAllocs()
	for b.Loop() {
		p.Apply(order, Options{})
	}
}

func BenchmarkDerive(b *testing.B) {
	rs := loadRecords(b)
	b.ReportAllocs()
	for b.Loop() {
		Derive("p", rs, Options{})
	}
}

func BenchmarkProfileBinary(b *testing.B) {
	p := Derive("p", loadRecords(b), Options{})
	enc, _ := p.AppendBinary(nil)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			buf, _ = p.AppendBinary(buf[:0])
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var q Profile
			if err := q.UnmarshalBinary(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
