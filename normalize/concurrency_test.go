package normalize

import (
	"sync"
	"testing"
)

// TestConcurrentUse runs every normalizer from several goroutines at once
// over the same inputs and checks that they all agree; run with -race it
// finds shared mutable state.
func TestConcurrentUse(t *testing.T) {
	p := mustPhoneNormalizer(t, PhoneOptions{DefaultRegion: "FI", CacheSize: 128})
	run := func() []string {
		var out []string
		add := func(v string, err error) { out = append(out, v, errString(err)) }
		for _, s := range emailInputs {
			add(Email(s, EmailOptions{ProviderRules: true}))
		}
		for _, s := range textInputs {
			out = append(out, Text(s), MatchKey(s))
		}
		for _, s := range identifierInputs {
			add(Identifier(s, Lower))
			add(Identifier(s, Upper))
			add(PostalCode(s))
		}
		for _, s := range countryInputs {
			add(Country(s))
		}
		for _, s := range phoneInputs() {
			add(p.Normalize(s, ""))
		}
		return out
	}
	want := run()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got := run()
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("concurrent result %d = %q, want %q", i, got[i], want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
