// Package omnisend is segbridge's client for Omnisend's REST API, and the only
// code in segbridge that talks to Omnisend.
//
// It speaks two dialects of the API: the dated 2026-03-15 API (the default;
// `Authorization: Omnisend-API-Key`, `Omnisend-Version` header, RFC 9457
// problem+json errors, 100-item batches) and v3 (`X-API-KEY`, 1000-item
// batches, `{error, fields}` errors). The bulk tag endpoints exist only in the
// 2026-03-15 API, so a v3 client sends tag calls there with the same key.
//
// Every request passes through three mechanisms, in this order:
//
//   - a [RateBudget] shared by everything that talks to one brand, which
//     admits a request only if no sliding window of the configured length
//     (60 s) would hold more than the configured number of requests (360 for
//     general routes, 54 for the 60/min tag routes) and slows down after 429s.
//     A request keeps its place until its answer arrives, so network delay
//     cannot make Omnisend see more than the budget in any window. Requests
//     carry a share (WithShare, Config.Share: segbridge uses the export),
//     and a full window's free slots go to the shares fairly (Window.Turn).
//     [WindowBudget] is the in-process budget; package pgbudget keeps the
//     same budget in PostgreSQL for every process on the database;
//   - one classification function, [Classify], that maps every response and
//     transport error to ok, retry later or permanent, parsing Omnisend's
//     message from both error formats;
//   - retries with full-jitter exponential backoff, honouring retryAfter /
//     Retry-After, for as long as an outage lasts less than
//     RetryConfig.OutageLimit (30 min): a run waits out Omnisend's bad
//     minutes instead of failing on them ([Client.Outage] says since when
//     it waits). Permanent errors are never retried.
//
// Retrying is safe for every write the client makes: contact upserts (single
// and batched) are idempotent by e-mail, and tag add/remove are idempotent.
// A lost response or a timeout on POST /batches is ambiguous — Omnisend may
// have created the batch — so a retry may leave a duplicate batch behind that
// applies the same upserts twice, which is harmless.
//
// The API key is a [Secret]: it formats, logs and marshals as "<secret>", and
// the client redacts it from every error it returns.
package omnisend
