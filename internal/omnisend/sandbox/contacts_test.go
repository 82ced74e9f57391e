package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUpsertStatusCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.api(http.MethodPost, "/api/contacts", contact2026("Jane@Example.COM", nil))
	require.Equal(t, http.StatusCreated, res.status)
	require.Equal(t, "jane@example.com", res.body["email"])
	id := res.body["id"]
	res = b.api(http.MethodPost, "/api/contacts", contact2026("jane@example.com", nil))
	require.Equal(t, http.StatusOK, res.status, "second upsert by lower-cased email updates")
	require.Equal(t, id, res.body["id"])

	for _, email := range []string{"v3@example.com", "V3@example.com"} {
		res = b.v3(http.MethodPost, "/v3/contacts", contactV3(email, nil))
		require.Equal(t, http.StatusOK, res.status, "v3 answers 200 for create and update")
		require.Equal(t, "v3@example.com", res.body["email"])
		require.NotEmpty(t, res.body["contactID"])
	}
	require.Len(t, b.srv.Contacts("brand-a"), 2)
}

func TestTagsUnion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"x", "y"}}))
	res := b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"y", "z"}}))
	require.Equal(t, []any{"x", "y", "z"}, res.body["tags"])
	res = b.v3(http.MethodPost, "/v3/contacts", contactV3("a@example.com", map[string]any{"tags": []string{"w"}}))
	res = b.api(http.MethodGet, "/api/contacts/"+res.body["contactID"].(string), nil)
	require.Equal(t, []any{"x", "y", "z", "w"}, res.body["tags"])
}

func TestReplaceTagsOption(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.ReplaceTags = true })
	b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"x"}}))
	res := b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{"tags": []string{"y"}}))
	require.Equal(t, []any{"y"}, res.body["tags"])
}

func TestCustomPropertiesMerge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{
		"customProperties": map[string]any{"ltv": 10, "tier": "gold", "old": true}}))
	res := b.api(http.MethodPost, "/api/contacts", contact2026("a@example.com", map[string]any{
		"customProperties": map[string]any{"ltv": 12.5, "pets": []string{"dog"}, "old": nil}}))
	require.Equal(t, map[string]any{"ltv": 12.5, "tier": "gold", "pets": []any{"dog"}}, res.body["customProperties"])
}

func TestStatusDateRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	post := func(status, at string) *result {
		body := contact2026("s@example.com", nil)
		ident := body["identifiers"].([]any)[0].(map[string]any)
		ident["channels"] = map[string]any{"email": map[string]any{"status": status, "statusChangedAt": at}}
		return b.api(http.MethodPost, "/api/contacts", body)
	}
	res := post("subscribed", "2025-06-01T00:00:00Z")
	require.Equal(t, "subscribed", res.body["status"])
	res = post("nonSubscribed", "2000-01-01T00:00:00Z")
	require.Equal(t, "subscribed", res.body["status"], "an older date never overrides")
	res = post("unsubscribed", "2025-07-01T00:00:00Z")
	require.Equal(t, "unsubscribed", res.body["status"], "a newer date wins")

	v3 := contactV3("s@example.com", nil)
	v3["identifiers"].([]any)[0].(map[string]any)["channels"] = map[string]any{
		"email": map[string]any{"status": "subscribed", "statusDate": "2025-06-15T00:00:00Z"}}
	b.v3(http.MethodPost, "/v3/contacts", v3)
	res = b.api(http.MethodGet, "/api/contacts?email=s@example.com", nil)
	require.Equal(t, "unsubscribed", list(t, res.body, "contacts")[0].(map[string]any)["status"])
}

func TestIdentifierConflict(t *testing.T) {
	t.Parallel()
	b := setup(t)
	phone := func(email, number string) map[string]any {
		body := contact2026(email, nil)
		body["identifiers"] = append(body["identifiers"].([]any), map[string]any{"type": "phone", "id": number,
			"channels": map[string]any{"sms": map[string]any{"status": "nonSubscribed"}}, "sendWelcomeMessage": false})
		return body
	}
	a := b.api(http.MethodPost, "/api/contacts", phone("a@example.com", "+14155550100"))
	require.Equal(t, []any{"+14155550100"}, a.body["phone"])
	other := b.api(http.MethodPost, "/api/contacts", phone("b@example.com", "+14155550100"))
	require.Equal(t, http.StatusCreated, other.status)
	require.Equal(t, []any{}, other.body["phone"], "a phone owned by another contact is ignored")

	res := b.api(http.MethodPatch, "/api/contacts/"+other.body["id"].(string), phone("b@example.com", "+14155550100"))
	require.Equal(t, http.StatusConflict, res.status, "2026 PATCH taking another contact's identifier is a 409")
	res = b.api(http.MethodPatch, "/api/contacts?email=b@example.com", contact2026("a@example.com", nil))
	require.Equal(t, http.StatusConflict, res.status)

	v3 := contactV3("b@example.com", nil)
	v3["identifiers"] = append(v3["identifiers"].([]any), map[string]any{"type": "phone", "id": "+14155550100",
		"channels": map[string]any{"sms": map[string]any{"status": "nonSubscribed"}}})
	res = b.v3(http.MethodPatch, "/v3/contacts/"+other.body["id"].(string), v3)
	require.Equal(t, http.StatusOK, res.status, "v3 PATCH ignores a phone owned by another contact")
	require.NotContains(t, res.body, "phone")
}

func TestPatchPartialAndNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.api(http.MethodPost, "/api/contacts", contact2026("p@example.com", map[string]any{"firstName": "Jane", "lastName": "Doe"}))
	res := b.api(http.MethodPatch, "/api/contacts/"+c.body["id"].(string), map[string]any{"firstName": "Janet"})
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "Janet", res.body["firstName"])
	require.Equal(t, "Doe", res.body["lastName"])
	res = b.v3(http.MethodPatch, "/v3/contacts?email=P@example.com", map[string]any{"city": "Vilnius"})
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "p@example.com", res.body["email"])
	require.Equal(t, http.StatusNotFound, b.api(http.MethodPatch, "/api/contacts/nope", map[string]any{}).status)
	require.Equal(t, http.StatusNotFound, b.api(http.MethodPatch, "/api/contacts?email=x@example.com", map[string]any{}).status)
	require.Equal(t, http.StatusNotFound, b.v3(http.MethodGet, "/v3/contacts/nope", nil).status)
	require.Equal(t, http.StatusBadRequest, b.api(http.MethodPatch, "/api/contacts", map[string]any{}).status)
}

func TestAuthAndReadOnlyKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, http.StatusUnauthorized, b.call(dialect2026, "wrong", http.MethodGet, "/api/contacts", nil).status)
	require.Equal(t, http.StatusUnauthorized, b.call(dialect2026, "", http.MethodGet, "/api/contacts", nil).status)
	require.Equal(t, http.StatusUnauthorized, b.call(dialectV3, "wrong", http.MethodGet, "/v3/contacts", nil).status)
	require.Equal(t, http.StatusOK, b.call(dialect2026, keyRO, http.MethodGet, "/api/contacts", nil).status)
	for _, d := range []dialect{dialect2026, dialectV3} {
		prefix := map[dialect]string{dialect2026: "/api", dialectV3: "/v3"}[d]
		res := b.call(d, keyRO, http.MethodPost, prefix+"/contacts", contactV3("ro@example.com", nil))
		require.Equal(t, http.StatusForbidden, res.status)
		res = b.call(d, keyRO, http.MethodPost, prefix+"/batches", map[string]any{"method": "POST", "endpoint": "contacts",
			"items": []any{contactV3("ro@example.com", nil)}})
		require.Equal(t, http.StatusForbidden, res.status)
	}
	require.Equal(t, http.StatusForbidden, b.call(dialect2026, keyRO, http.MethodPost, "/api/contacts/tags",
		map[string]any{"tags": []string{"t"}, "emails": []string{"a@example.com"}}).status)
	require.Empty(t, b.srv.Contacts(""))

	// Brands are isolated: brand-b's key does not see brand-a's contacts.
	b.api(http.MethodPost, "/api/contacts", contact2026("mine@example.com", nil))
	res := b.call(dialect2026, keyOther, http.MethodGet, "/api/contacts", nil)
	require.Empty(t, list(t, res.body, "contacts"))
}

func TestVersionHeader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.api(http.MethodGet, "/api/contacts", nil, "Omnisend-Version", "")
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, []string{"Omnisend-Version"}, fieldNames(t, res))
	res = b.api(http.MethodGet, "/api/contacts", nil, "Omnisend-Version", "2024-01-01")
	require.Equal(t, http.StatusGone, res.status)
}

func TestContactValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		name  string
		extra map[string]any
		email string
		field string
	}{
		{"email", nil, "not-an-email", "identifiers.0.id"},
		{"country code", map[string]any{"countryCode": "GBR"}, "", "countryCode"},
		{"gender", map[string]any{"gender": "x"}, "", "gender"},
		{"birthdate", map[string]any{"birthdate": "1990-13-01"}, "", "birthdate"},
		{"property name", map[string]any{"customProperties": map[string]any{"bad-name": 1}}, "", "customProperties.bad-name"},
		{"property value", map[string]any{"customProperties": map[string]any{"obj": map[string]any{}}}, "", "customProperties.obj"},
		{"too many properties", map[string]any{"customProperties": manyProps(201)}, "", "customProperties"},
		{"too many tags", map[string]any{"tags": manyTags(101)}, "", "tags"},
		{"empty tag", map[string]any{"tags": []string{""}}, "", "tags.0"},
		{"type mismatch", map[string]any{"firstName": 5}, "", "firstName"},
	}
	for _, tc := range cases {
		email := tc.email
		if email == "" {
			email = "ok@example.com"
		}
		res := b.api(http.MethodPost, "/api/contacts", contact2026(email, tc.extra))
		require.Equal(t, http.StatusBadRequest, res.status, tc.name)
		require.Contains(t, fieldNames(t, res), tc.field, tc.name)
		res = b.v3(http.MethodPost, "/v3/contacts", contactV3(email, tc.extra))
		require.Equal(t, http.StatusBadRequest, res.status, tc.name)
		v3Field := strings.NewReplacer("identifiers.0", "identifiers[0]", "tags.0", "tags[0]").Replace(tc.field)
		require.Contains(t, fieldNames(t, res), v3Field, tc.name)
	}
	phone := map[string]any{"identifiers": []any{map[string]any{"type": "phone", "id": "0044 20 7654",
		"channels": map[string]any{"sms": map[string]any{"status": "subscribed"}}}}}
	res := b.api(http.MethodPost, "/api/contacts", phone)
	require.Equal(t, []string{"identifiers.0.id"}, fieldNames(t, res), "phone must be E.164")
	res = b.v3(http.MethodPost, "/v3/contacts", map[string]any{"identifiers": []any{map[string]any{"type": "email", "id": "a@example.com"}}})
	require.Equal(t, []string{"identifiers[0].channels"}, fieldNames(t, res), "v3 requires channels")
	require.Empty(t, b.srv.Contacts(""), "invalid requests change nothing")
	ok := b.api(http.MethodPost, "/api/contacts", contact2026("ok@example.com", map[string]any{"customProperties": manyProps(200)}))
	require.Equal(t, http.StatusCreated, ok.status, "200 properties are allowed")
}

func manyProps(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m["p"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+strconv.Itoa(i)] = i
	}
	return m
}

func manyTags(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "t" + strconv.Itoa(i)
	}
	return out
}
