package badgerstore

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"
)

// appendKV must write what badger.KVToBuffer writes.
func TestAppendKV(t *testing.T) {
	cases := []struct{ k, v string }{
		{"k", "v"},
		{"key", ""},
		{strings.Repeat("k", 127), strings.Repeat("v", 128)},
		{strings.Repeat("k", 300), strings.Repeat("v", 70000)},
		{"\x00\xff", "\x00"},
	}
	want := z.NewBuffer(1<<10, "test")
	defer want.Release()
	got := z.NewBuffer(1<<10, "test")
	defer got.Release()
	for _, c := range cases {
		badger.KVToBuffer(&pb.KV{Key: []byte(c.k), Value: []byte(c.v), Version: loadVersion}, want)
		appendKV(got, []byte(c.k), []byte(c.v))
	}
	if !bytes.Equal(want.Bytes(), got.Bytes()) {
		t.Fatalf("appendKV wrote %d bytes unlike badger.KVToBuffer's %d", got.LenNoPadding(), want.LenNoPadding())
	}
}
