// Package metrics is segbridge's Prometheus instrumentation: runs by final
// status, contacts by result, Omnisend requests by route and status, the
// time requests wait for the rate budget, and the job queue's depth. One
// Metrics per process, registered on its own registry, which `serve`
// exposes at /metrics.
package metrics

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"segbridge/internal/omnisend"
	"segbridge/internal/run"
)

// Metrics holds segbridge's collectors.
type Metrics struct {
	// Registry holds every collector below plus Go's and the process's.
	Registry *prometheus.Registry

	runs       *prometheus.CounterVec
	contacts   *prometheus.CounterVec
	requests   *prometheus.CounterVec
	budgetWait *prometheus.HistogramVec
}

// QueueDepth reports the number of jobs in each state (River's states:
// available, running, retryable, scheduled, …).
type QueueDepth func(ctx context.Context) (map[string]int, error)

// New builds the collectors on a new registry. queue, if not nil, is asked
// for the queue's depth at each scrape.
func New(queue QueueDepth) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segbridge_runs_total",
			Help: "Export runs that ended, by final status (succeeded, failed, cancelled).",
		}, []string{"status"}),
		contacts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segbridge_run_contacts_total",
			Help: "Contacts of ended runs by result: added, updated, unchanged, untagged, kept, skipped, failed.",
		}, []string{"result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "segbridge_omnisend_requests_total",
			Help: "Requests to Omnisend by route (method and path pattern) and HTTP status (\"error\" when no answer came).",
		}, []string{"route", "status"}),
		budgetWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "segbridge_rate_budget_wait_seconds",
			Help:    "Time requests waited for a slot of the brand's rate budget, by route class.",
			Buckets: []float64{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"class"}),
	}
	reg.MustRegister(m.runs, m.contacts, m.requests, m.budgetWait,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if queue != nil {
		reg.MustRegister(queueCollector{depth: queue, desc: prometheus.NewDesc("segbridge_jobs",
			"Jobs in the queue by state.", []string{"state"}, nil)})
	}
	return m
}

// RunEnded counts a run that reached a final status (or was held by the
// removal brake), and the contacts of a final one.
func (m *Metrics) RunEnded(r run.Run) {
	m.runs.WithLabelValues(string(r.Status)).Inc()
	if !r.Status.Final() {
		return // held: its contacts are counted when it ends
	}
	c := r.Counts
	for result, n := range map[string]int{
		"added": c.Added, "updated": c.Updated, "unchanged": c.Unchanged, "untagged": c.Untagged,
		"kept": c.Kept, "skipped": c.SkippedTotal(), "failed": c.FailedTotal(),
	} {
		if n > 0 {
			m.contacts.WithLabelValues(result).Add(float64(n))
		}
	}
}

// BudgetWaited records how long a request of class waited for the budget.
func (m *Metrics) BudgetWaited(class string, d time.Duration) {
	m.budgetWait.WithLabelValues(class).Observe(d.Seconds())
}

// Transport counts the requests sent through next by route and status.
func (m *Metrics) Transport(next http.RoundTripper) http.RoundTripper {
	return transport{m: m, next: next}
}

type transport struct {
	m    *Metrics
	next http.RoundTripper
}

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	t.m.requests.WithLabelValues(Route(r.Method, r.URL.Path), status).Inc()
	return resp, err
}

// idSegment matches a path segment that names one resource: hex or
// numeric ids, UUIDs, e-mail addresses, anything with digits in it.
var idSegment = regexp.MustCompile(`[0-9]|@`)

// Route turns a request into a low-cardinality label: the method and the
// path with resource ids replaced by {id}, e.g. "GET /api/batches/{id}".
func Route(method, path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if i > 0 && idSegment.MatchString(p) {
			parts[i] = "{id}"
		}
	}
	return method + " /" + strings.Join(parts, "/")
}

// queueCollector asks for the queue's depth at each scrape.
type queueCollector struct {
	depth QueueDepth
	desc  *prometheus.Desc
}

func (q queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := q.depth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(q.desc, err)
		return
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, float64(n), state)
	}
}

// Budget wraps b so that the time every request waits for a slot is
// observed (segbridge_rate_budget_wait_seconds).
func (m *Metrics) Budget(b omnisend.RateBudget) omnisend.RateBudget {
	return budget{RateBudget: b, m: m}
}

type budget struct {
	omnisend.RateBudget
	m *Metrics
}

func (b budget) Wait(ctx context.Context, brand string, class omnisend.RouteClass) (func(), error) {
	start := time.Now()
	done, err := b.RateBudget.Wait(ctx, brand, class)
	if err == nil {
		b.m.BudgetWaited(string(class), time.Since(start))
	}
	return done, err
}
