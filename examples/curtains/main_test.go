package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"-dir", t.TempDir()}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{
		"merged",
		"cookie        ck-3f9a",
		"phone         +358401234567          seen in pos, service",
		"loyalty_card  700123456789",
		"orders 1, spend 71.92 EUR",
		"coupons CURTAINS20, tickets 1",
		"email_marketing  granted",
		"sms_marketing    granted",
		"entered curtain_browsers",
		"exited curtain_browsers",
		"segments: curtain_buyers, sms_reachable",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"-h"}, &out, &errOut)
	if !strings.Contains(errOut.String(), "-dir") {
		t.Errorf("-h does not explain -dir:\n%s", errOut.String())
	}
}
