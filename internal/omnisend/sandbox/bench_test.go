package sandbox

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// benchBatchSize is the number of items per benchmark batch (the 2026-03-15
// maximum, what segbridge sends).
const benchBatchSize = 100

// benchBatchBody appends a POST /batches body of benchBatchSize contacts
// numbered from first, shaped as segbridge sends them: an e-mail identifier
// with a dated status, first and last name, city, postal code, country and
// tags.
func benchBatchBody(buf []byte, d dialect, first int) []byte {
	dateField := "statusChangedAt"
	if d == dialectV3 {
		dateField = "statusDate"
	}
	buf = append(buf, `{"method":"POST","endpoint":"contacts","items":[`...)
	for i := range benchBatchSize {
		n := first + i
		if i > 0 {
			buf = append(buf, ',')
		}
		status := [...]string{"subscribed", "unsubscribed", "nonSubscribed"}[n%3]
		buf = fmt.Appendf(buf, `{"identifiers":[{"type":"email","id":"customer.%d@example.com",`+
			`"channels":{"email":{"status":%q,%q:"2024-05-%02dT10:%02d:00Z"}},"sendWelcomeMessage":false}],`+
			`"firstName":"Anna%d","lastName":"Kowalska","city":"Vilnius","postalCode":"LT-%05d","country":"LT",`+
			`"tags":["segbridge","everyone","%s"]`, n, status, dateField, 1+n%28, n%60, n%1000, n%100000,
			[...]string{"vip", "newsletter", "b2b", "returning"}[n%4])
		if d == dialectV3 {
			buf = append(buf, `,"sendWelcomeEmail":false`...)
		}
		buf = append(buf, '}')
	}
	return append(buf, "]}"...)
}

// benchServer is a sandbox that applies batch items as soon as the clock
// moves and never rate-limits.
func benchServer(tb testing.TB) (*Server, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)}
	srv, err := New(Config{
		Clock:     clock,
		Keys:      []Key{{Key: keyMain, BrandID: "brand-a"}},
		Segments:  []Segment{{ID: "seg-vip", BrandID: "brand-a", Tag: "vip"}},
		RateLimit: RateLimitConfig{General: 1 << 30},
		Batches:   BatchConfig{StartDelay: time.Nanosecond, ItemInterval: time.Nanosecond},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return srv, clock
}

// postBatch sends one batch through the handler and applies all its items.
func postBatch(tb testing.TB, srv *Server, clock *fakeClock, d dialect, body []byte) {
	path := "/api/batches"
	if d == dialectV3 {
		path = "/v3/batches"
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	setAuth(req, d, keyMain)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		tb.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
	}
	clock.Advance(time.Microsecond)
	srv.withBrands(func(*brandState) {}) // advance: apply every due item
}

// BenchmarkBatchItems creates and applies batches of 100 new contacts; one
// op is one batch. ns/item, B/item and allocs/item cover the POST /batches
// call, applying its items and keeping their answers.
func BenchmarkBatchItems(b *testing.B) {
	for _, d := range []dialect{dialect2026, dialectV3} {
		b.Run(d.String(), func(b *testing.B) {
			srv, clock := benchServer(b)
			var body []byte
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := range b.N {
				body = benchBatchBody(body[:0], d, i*benchBatchSize)
				postBatch(b, srv, clock, d, body)
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&after)
			items := float64(b.N * benchBatchSize)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/items, "ns/item")
			b.ReportMetric(float64(cpu.Nanoseconds())/items, "cpu-ns/item")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/items, "B/item")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/items, "allocs/item")
			if got := srv.Stats().Brands["brand-a"].Contacts; got != b.N*benchBatchSize {
				b.Fatalf("%d contacts stored, want %d", got, b.N*benchBatchSize)
			}
		})
	}
}

// BenchmarkStoredContacts loads 100,000 contacts through 2026-03-15 batches
// (kept, as the sandbox keeps batches for the retention period) and reports
// the live heap per stored contact. Run it with -benchtime 1x.
func BenchmarkStoredContacts(b *testing.B) {
	const contacts = 100_000
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		srv, clock := benchServer(b)
		var body []byte
		for n := 0; n < contacts; n += benchBatchSize {
			body = benchBatchBody(body[:0], dialect2026, n)
			postBatch(b, srv, clock, dialect2026, body)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/contacts, "heapB/contact")
		b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/contacts, "objects/contact")
		runtime.KeepAlive(srv)
		if got := srv.Stats().Brands["brand-a"].Contacts; got != contacts {
			b.Fatalf("%d contacts stored, want %s", got, strconv.Itoa(contacts))
		}
	}
}
