// Package surfaces holds the tests that drive every state-changing use case
// through each interface that offers it — the CLI, the HTTP API and the web
// UI — as each role, and check that all of them answer alike (the same
// allow or deny, from the one permission table in internal/service) and
// leave exactly one audit entry with the right actor. It has no code of
// its own.
package surfaces
