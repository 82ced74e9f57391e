package omnisend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"
)

// specHost replaces the test server's address when a recorded request is
// matched against the documents (which name https://api.omnisend.com).
const specHost = "https://api.omnisend.com"

// unspecifiedRoutes are routes the client calls that Omnisend's documents
// do not describe, with the reason.
func unspecifiedRoutes() map[string]string {
	return map[string]string{
		"GET /v3/accounts": "v3 key check used by Omnisend's own WordPress plugin; not in the v3 documents",
	}
}

// recordedRequest is a request as the client sent it.
type recordedRequest struct {
	method string
	url    *url.URL
	header http.Header
	body   []byte
}

// recorder is a RoundTripper that keeps a copy of every request before
// passing it on.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []recordedRequest
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := recordedRequest{method: req.Method, url: req.URL, header: req.Header.Clone()}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("recorder: read body: %w", err)
		}
		rec.body = body
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) requests() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedRequest(nil), r.reqs...)
}

// specRouters routes recorded requests to the operations of Omnisend's
// documents, by API prefix.
type specRouters map[string][]routers.Router

func loadSpecRouters(t testing.TB) specRouters {
	t.Helper()
	dir := specDir(t)
	files := map[string][]string{
		"/api": {"v2026-03-15/contacts.json", "v2026-03-15/batches.json", "v2026-03-15/brands.json"},
		"/v3":  {"v3/contacts.json", "v3/batches.json"},
	}
	out := specRouters{}
	for prefix, names := range files {
		for _, name := range names {
			doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(dir, name))
			require.NoError(t, err, name)
			doc.Servers = openapi3.Servers{{URL: specHost + prefix}}
			r, err := gorillamux.NewRouter(doc)
			require.NoError(t, err, name)
			out[prefix] = append(out[prefix], r)
		}
	}
	return out
}

// validate checks one recorded request against the documents. It returns
// errNoRoute for routes the documents do not describe.
func (sr specRouters) validate(ctx context.Context, rec recordedRequest) error {
	req, err := http.NewRequestWithContext(ctx, rec.method, specHost+rec.url.RequestURI(), bytes.NewReader(rec.body))
	if err != nil {
		return fmt.Errorf("rebuild request: %w", err)
	}
	req.Header = rec.header.Clone()
	prefix := "/" + strings.SplitN(strings.TrimPrefix(rec.url.Path, "/"), "/", 2)[0]
	for _, r := range sr[prefix] {
		route, params, err := r.FindRoute(req)
		if err != nil {
			continue
		}
		if err := checkAuthHeader(prefix, req.Header); err != nil {
			return err
		}
		return openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: authenticate},
		})
	}
	return errNoRoute
}

var errNoRoute = errors.New("no operation in omnisend-spec")

// authenticate accepts the API-key schemes the client uses (the Bearer
// alternative is OAuth, which segbridge does not use).
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s.Type != "apiKey" || s.In != "header" {
		return in.NewError(fmt.Errorf("scheme %q not used by the client", in.SecuritySchemeName))
	}
	v := in.RequestValidationInput.Request.Header.Get(s.Name)
	if s.Name == "Authorization" && !strings.HasPrefix(v, "Omnisend-API-Key ") {
		return in.NewError(fmt.Errorf("want 'Omnisend-API-Key <key>', got another form"))
	}
	if v == "" {
		return in.NewError(nil)
	}
	return nil
}

// checkAuthHeader enforces the dialect's auth header even where a document
// declares no security requirement (the v3 documents only define the
// scheme).
func checkAuthHeader(prefix string, h http.Header) error {
	if prefix == "/v3" && h.Get("X-API-KEY") == "" {
		return errors.New("v3 request without X-API-KEY")
	}
	if prefix == "/api" && (h.Get("Omnisend-Version") == "" || h.Get("Authorization") == "") {
		return errors.New("2026-03-15 request without Authorization or Omnisend-Version")
	}
	return nil
}

// requireRequestsMatchSpec validates every recorded request; it fails on
// requests to routes the documents do not describe, except the listed ones.
func requireRequestsMatchSpec(t testing.TB, sr specRouters, reqs []recordedRequest) {
	t.Helper()
	require.NotEmpty(t, reqs)
	for i, rec := range reqs {
		err := sr.validate(t.Context(), rec)
		name := rec.method + " " + rec.url.Path
		if errors.Is(err, errNoRoute) {
			_, ok := unspecifiedRoutes()[name]
			require.True(t, ok, "request %d: %s is not in omnisend-spec", i, name)
			continue
		}
		require.NoError(t, err, "request %d: %s %s body %s", i, rec.method, rec.url.RequestURI(), rec.body)
	}
}

func TestSpecValidatorRejectsBadRequests(t *testing.T) {
	t.Parallel()
	sr := loadSpecRouters(t)
	auth26 := http.Header{"Authorization": {"Omnisend-API-Key k"}, "Omnisend-Version": {"2026-03-15"},
		"Content-Type": {"application/json"}}
	v3 := http.Header{"X-Api-Key": {"k"}, "Content-Type": {"application/json"}}
	mk := func(method, uri string, h http.Header, body string) recordedRequest {
		u, err := url.Parse(uri)
		require.NoError(t, err)
		return recordedRequest{method: method, url: u, header: h, body: []byte(body)}
	}
	items := "[" + strings.Repeat(`{"identifiers":[]},`, 100) + `{"identifiers":[]}]`
	good := []recordedRequest{
		mk("POST", "/api/batches", auth26, `{"method":"POST","endpoint":"contacts","items":[{}]}`),
		mk("GET", "/v3/contacts?limit=250", v3, ""),
	}
	bad := []recordedRequest{
		mk("POST", "/api/batches", auth26, `{"method":"POST","endpoint":"contacts","items":`+items+`}`),
		mk("POST", "/api/batches", auth26, `{"method":"GET","endpoint":"contacts","items":[{}]}`),
		mk("GET", "/api/contacts", http.Header{"Omnisend-Version": {"2026-03-15"}}, ""),
		mk("GET", "/api/contacts", http.Header{"Authorization": {"Bearer x"}, "Omnisend-Version": {"2026-03-15"}}, ""),
		mk("GET", "/v3/contacts?limit=999", v3, ""),
		mk("GET", "/v3/contacts", http.Header{}, ""),
		mk("POST", "/api/contacts/tags", auth26, `{"emails":["a@b.c"],"tags":[]}`),
	}
	for _, r := range good {
		require.NoError(t, sr.validate(t.Context(), r), "%s %s", r.method, r.url)
	}
	for _, r := range bad {
		require.Error(t, sr.validate(t.Context(), r), "%s %s %s", r.method, r.url, r.body)
	}
	require.ErrorIs(t, sr.validate(t.Context(), mk("GET", "/v3/accounts", v3, "")), errNoRoute)
}
