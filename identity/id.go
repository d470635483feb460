package identity

import (
	"fmt"
	"log/slog"
	"strings"
)

// Type names a kind of identifier. The built-in types have policies in
// DefaultPolicies; hosts may use any other lower-case name.
type Type string

// Built-in identifier types.
const (
	TypeEmail       Type = "email"
	TypePhone       Type = "phone"
	TypeCustomerID  Type = "customer_id"
	TypeLoyaltyCard Type = "loyalty_card"
	TypeCookie      Type = "cookie"
	TypeDeviceID    Type = "device_id"
)

// ID is a typed identifier value. In the graph and in stored records the
// Value is normalized; constructors below do not normalize (the engine does,
// with the normalize package, on the way in and on lookup).
type ID struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`
}

// Email, Phone, CustomerID, LoyaltyCard, Cookie and DeviceID build IDs of the
// built-in types.
func Email(v string) ID       { return ID{TypeEmail, v} }
func Phone(v string) ID       { return ID{TypePhone, v} }
func CustomerID(v string) ID  { return ID{TypeCustomerID, v} }
func LoyaltyCard(v string) ID { return ID{TypeLoyaltyCard, v} }
func Cookie(v string) ID      { return ID{TypeCookie, v} }
func DeviceID(v string) ID    { return ID{TypeDeviceID, v} }

// String returns "type:value". It shows the value: do not log it; log the ID
// itself, which redacts through LogValue.
func (id ID) String() string { return string(id.Type) + ":" + id.Value }

// Compare orders IDs by type, then value.
func (id ID) Compare(o ID) int {
	if c := strings.Compare(string(id.Type), string(o.Type)); c != 0 {
		return c
	}
	return strings.Compare(id.Value, o.Value)
}

// LogValue redacts the value: personal data does not belong in logs.
func (id ID) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%s:<redacted len=%d>", id.Type, len(id.Value)))
}
