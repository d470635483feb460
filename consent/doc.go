// Package consent models consent events and resolves them into the consents
// of a profile.
package consent
