// Package profile holds the customer data model: records, the evidence that
// source systems send, and profiles, the 360° view of one person derived from
// the records attached to the person's identifiers.
package profile
