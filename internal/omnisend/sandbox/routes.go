package sandbox

import (
	"net/http"
	"strings"
)

// apiRoutes lists every API operation of both dialects.
func apiRoutes() []route {
	w, r := true, false
	rs := []route{
		{"POST /api/contacts", dialect2026, limitGeneral, w, createContact},
		{"GET /api/contacts", dialect2026, limitGeneral, r, listContacts},
		{"PATCH /api/contacts", dialect2026, limitGeneral, w, patchContactByEmail},
		{"GET /api/contacts/{id}", dialect2026, limitGeneral, r, getContact},
		{"PATCH /api/contacts/{id}", dialect2026, limitGeneral, w, patchContactByID},
		{"POST /api/contacts/tags", dialect2026, limitTags, w, addTags},
		{"DELETE /api/contacts/tags", dialect2026, limitTags, w, removeTags},
		{"POST /api/batches", dialect2026, limitGeneral, w, createBatch},
		{"GET /api/batches", dialect2026, limitGeneral, r, listBatches},
		{"GET /api/batches/{batchID}", dialect2026, limitGeneral, r, getBatch},
		{"GET /api/batches/{batchID}/items", dialect2026, limitGeneral, r, getBatchItems},
		{"GET /api/brands/current", dialect2026, limitGeneral, r, currentBrand},
		{"/api/", dialect2026, limitGeneral, r, unknownRoute},

		{"POST /v3/contacts", dialectV3, limitGeneral, w, createContact},
		{"GET /v3/contacts", dialectV3, limitGeneral, r, listContacts},
		{"PATCH /v3/contacts", dialectV3, limitGeneral, w, patchContactByEmail},
		{"GET /v3/contacts/{id}", dialectV3, limitGeneral, r, getContact},
		{"PATCH /v3/contacts/{id}", dialectV3, limitGeneral, w, patchContactByID},
		{"POST /v3/batches", dialectV3, limitGeneral, w, createBatch},
		{"GET /v3/batches", dialectV3, limitGeneral, r, listBatches},
		{"GET /v3/batches/{batchID}", dialectV3, limitGeneral, r, getBatch},
		{"GET /v3/batches/{batchID}/items", dialectV3, limitGeneral, r, getBatchItems},
		{"GET /v3/batches/{batchID}/items/{itemID}", dialectV3, limitGeneral, r, getBatchItem},
		{"GET /v3/accounts", dialectV3, limitGeneral, r, accounts},
		{"/v3/", dialectV3, limitGeneral, r, unknownRoute},
	}
	return rs
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range apiRoutes() {
		if !strings.Contains(rt.name, " ") {
			rt.name = "* " + rt.name
			mux.Handle(strings.TrimPrefix(rt.name, "* "), s.apiHandler(rt))
			continue
		}
		mux.Handle(rt.name, s.apiHandler(rt))
	}
	mux.HandleFunc("GET /_sandbox/{$}", s.inspectIndex)
	mux.HandleFunc("GET /_sandbox/contacts", s.inspectContacts)
	mux.HandleFunc("DELETE /_sandbox/contacts", s.inspectDeleteContacts)
	mux.HandleFunc("GET /_sandbox/requests", s.inspectRequests)
	mux.HandleFunc("GET /_sandbox/stats", s.inspectStats)
	mux.HandleFunc("POST /_sandbox/reset", s.inspectReset)
	return mux
}

func unknownRoute(s *Server, q *request) (*response, error) {
	return nil, errNotFound("There is no resource behind the URI " + q.r.Method + " " + q.r.URL.Path + ".")
}

// currentBrand is GET /api/brands/current.
func currentBrand(s *Server, q *request) (*response, error) {
	return &response{http.StatusOK, map[string]any{
		"brandID":   q.brand.id,
		"name":      q.brand.name,
		"connected": true,
		"currency":  "USD",
		"platform":  "api",
		"timezone":  "UTC",
		"version":   "sandbox",
		"website":   "https://" + q.brand.id + ".sandbox.invalid",
	}}, nil
}

// accounts is v3's GET /accounts, the key check Omnisend's own plugin uses.
func accounts(s *Server, q *request) (*response, error) {
	return &response{http.StatusOK, map[string]any{
		"brandID":             q.brand.id,
		"verified":            true,
		"platform":            "api",
		"exploreOmnisendLink": "https://app.omnisend.com/",
	}}, nil
}
