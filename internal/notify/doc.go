// Package notify tells people and programs when an export needs them.
//
// Channels are where notifications go: a webhook (a JSON body signed with
// HMAC-SHA256, see Sign), a Slack-compatible incoming webhook (a readable
// text with a link to the run) or e-mail over SMTP. Their secrets (the
// URLs, the signing secret, the SMTP password) are sealed with
// internal/secret, bound to the channel's id, and never shown again.
//
// Rules say what to watch, for one export or for all: a run that failed,
// was held, was slow, had too many rejected or failed contacts, or whose
// members changed by more than a percentage against the average of the
// export's last successful runs; a source that failed; an Omnisend key
// that was rejected. Each rule keeps its condition per export (or source)
// in the store and notifies once when the condition starts and once when
// it ends, never once per run while it lasts. Lifecycle notifications
// (run queued, started, finished, failed, held, cancelled) go to channels
// that ask for them, for outside schedulers to chain on.
//
// Nothing here runs inside a run. A run's changes are written to an outbox
// (Service.RunQueued, RunSaved, RunEnded: one small insert each); the
// Service's background loop (Service.Run, started by serve and worker)
// turns those events into notifications and delivers them, each request
// within a timeout, retried with backoff, every attempt and its answer
// kept as the delivery history. A channel whose attempts keep failing is
// marked failing and is still retried.
//
// The payloads are described by docs/notifications.schema.json.
package notify
