package unify

import (
	"encoding/json"
	"testing"
	"time"
)

// appendChangeJSON must write what encoding/json writes: consumers decode
// the feed with it.
func TestChangeJSONAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "web/ev-1", `a"b`, `a\b`, "<a>&", "tab\there", "\x00\x1f\x7f", "ä/ö", "\u2028", "\xff\xfe", "pos/r 1"} {
		c := Change{Seq: 7, Time: time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC), Kind: ProfileMerged, Profile: "p1", From: []string{"p2", "p3"}, Record: s, Segment: s}
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendChangeJSON(nil, &c); string(got) != string(want) {
			t.Errorf("%q:\n got %s\nwant %s", s, got, want)
		}
	}
}
