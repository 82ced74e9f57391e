package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"segbridge/internal/connection"
)

// TestSaveChecksRuleAndMapping: the segment and export forms refuse a
// rule with a type error (at its position), a rule or mapping naming an
// attribute no profile has (with the closest names), and e-mail mapped
// to an attribute that is not text.
func TestSaveChecksRuleAndMapping(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		b := setup(t, setupOpts{dbURL: dbURL, profiles: 20})
		seg := b.segment("Buyers", `p.orders >= 1`)
		c := b.connection("Shared", connection.AccessContributors)
		contrib := b.login(contributorEmail)

		res := contrib.post("/segments", url.Values{"name": {"T"}, "rule": {`p.orders > "x"`}, "action": {"save"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("type error saved: %d %s", res.status, excerpt(res.body))
		}
		contains(t, res.body, "line 1, column 10")
		res = contrib.post("/segments", url.Values{"name": {"T"}, "rule": {`p.e_mail == "x"`}, "action": {"save"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("unknown attribute saved: %d %s", res.status, excerpt(res.body))
		}
		contains(t, res.body, "did you mean email?")

		form := url.Values{"name": {"Typo"}, "connection": {fmt.Sprint(c.ID)}, "segment": {fmt.Sprint(seg.ID)},
			"map_email": {"e_mail"}, "leave": {"untag"}, "schedule": {"manual"}, "cap": {"5000"}, "active": {"yes"}}
		res = contrib.post("/exports", form)
		if res.status != http.StatusBadRequest {
			t.Fatalf("e-mail typo saved: %d %s", res.status, excerpt(res.body))
		}
		contains(t, res.body, "did you mean email?")
		form.Set("map_email", "orders")
		res = contrib.post("/exports", form)
		if res.status != http.StatusBadRequest {
			t.Fatalf("e-mail mapped to a number saved: %d %s", res.status, excerpt(res.body))
		}
		contains(t, res.body, "e-mail must map to a string attribute")
		form.Set("map_email", "email")
		res = contrib.post("/exports", form)
		if res.status != http.StatusSeeOther {
			t.Fatalf("good export refused: %d %s", res.status, excerpt(res.body))
		}
	})
}
