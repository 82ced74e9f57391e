package sandbox

import (
	"net/http"
	"time"
)

// addForeignBatches records Config.ForeignBatches batches of other
// integrations of the brand, created since its previous batch (or during
// the minute before the request), just before a client's new batch: GET
// /batches lists them interleaved with the client's, as a busy store with
// other apps would. They are finished contacts batches of seeded sizes;
// their items are not kept. Sizes depend only on the seed and the
// request's sequence number.
func (s *Server) addForeignBatches(b *brandState, q *request) {
	n := s.cfg.ForeignBatches
	if n == 0 {
		return
	}
	since := q.now.Add(-time.Minute)
	if len(b.batchLs) > 0 {
		since = b.batchLs[len(b.batchLs)-1].CreatedAt
	}
	most := s.cfg.Batches.MaxItems
	if q.d == dialectV3 {
		most = s.cfg.Batches.MaxItemsV3
	}
	for i := range n {
		at := since.Add(q.now.Sub(since) * time.Duration(i+1) / time.Duration(n+1))
		u := unit(s.cfg.Faults.Seed, q.seq, streamForeign+uint64(i))
		items := 1 + int(u*float64(most))
		method := http.MethodPost
		if i%5 == 4 {
			method = http.MethodPut
		}
		end := at.Add(s.cfg.Batches.StartDelay + time.Duration(items)*s.cfg.Batches.ItemInterval)
		bat := &batch{ID: s.ids.next(at), d: q.d, Method: method, Endpoint: "contacts", Origin: "other-integration",
			foreign: items, Status: batchFinished, CreatedAt: at, StartedAt: at.Add(s.cfg.Batches.StartDelay),
			EndedAt: minTime(end, q.now)}
		if bat.StartedAt.After(bat.EndedAt) {
			bat.StartedAt = bat.EndedAt
		}
		b.batches[bat.ID] = bat
		b.batchLs = append(b.batchLs, bat)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
