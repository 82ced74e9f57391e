// Package service is segbridge's application core: one service per concept
// (segments, exports, connections, runs, profiles and imports, users and
// tokens, the system refresh, notifications), the only code that changes
// state. Each use case takes the acting principal, checks the permission
// table (permissions.go), validates, writes and records one audit entry,
// in that order and in one place. The CLI, the HTTP API, the web UI and
// the demo are thin adapters around it: they parse input, call one method
// and render its result or its typed *Error.
package service
