package consent_test

import (
	"fmt"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

func ExampleSet() {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	phone := identity.Phone("+358401234567")

	var s consent.Set
	s.Apply(consent.Consent{Purpose: consent.EmailMarketing, Status: consent.Granted, Time: day(1), Source: "webstore"})
	s.Apply(consent.Consent{Purpose: consent.SMSMarketing, Status: consent.Granted, Time: day(2), Source: "app", Scope: &phone})
	// An older event arriving late does not override the newer one.
	s.Apply(consent.Consent{Purpose: consent.EmailMarketing, Status: consent.Withdrawn, Time: day(5), Source: "esp"})
	s.Apply(consent.Consent{Purpose: consent.EmailMarketing, Status: consent.Granted, Time: day(3), Source: "crm"})

	fmt.Println("email:", s.Allowed(consent.EmailMarketing, nil))
	fmt.Println("sms to the phone:", s.Allowed(consent.SMSMarketing, &phone))
	fmt.Println("sms in general:", s.Allowed(consent.SMSMarketing, nil))
	for c := range s.All() {
		fmt.Println(c.Purpose, c.Status, c.Source, c.Time.Format(time.DateOnly))
	}
	// Output:
	// email: false
	// sms to the phone: true
	// sms in general: false
	// email_marketing withdrawn esp 2026-03-05
	// sms_marketing granted app 2026-03-02
}
