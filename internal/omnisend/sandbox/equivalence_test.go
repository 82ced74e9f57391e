package sandbox

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// contactSeeds are contact bodies, valid and not, for the equivalence
// tests: every field right and wrong, escapes, non-ASCII, duplicates,
// nulls, broken JSON.
var contactSeeds = []string{
	`{"identifiers":[{"type":"email","id":"Anna.K+news@Example.COM","channels":{"email":{"status":"subscribed","statusChangedAt":"2024-05-01T10:00:00Z"}},"sendWelcomeMessage":false}],"firstName":"Anna","lastName":"Kowalska","city":"Vilnius","postalCode":"LT-01100","country":"LT","tags":["segbridge","vip"]}`,
	`{"identifiers":[{"type":"email","id":"a@b.co","channels":{"email":{"status":"nonSubscribed","statusDate":"2000-01-01T00:00:00Z"}}},{"type":"phone","id":"+37060000000","channels":{"sms":{"status":"unsubscribed","statusDate":"2020-01-01T00:00:00+02:00"}},"consent":{"source":"form","ip":"1.2.3.4","userAgent":"x","createdAt":"2020-01-01T00:00:00Z"}}],"sendWelcomeEmail":true,"countryCode":"lt","gender":"f","birthdate":"1990-02-03","address":"Main 1","state":"", "customProperties":{"ltv":12.5,"tier":"gold","pets":["dog"],"old":null,"ok":true},"createdAt":"2021-01-01T00:00:00Z"}`,
	`{"identifiers":[{"type":"email","id":"x@example.com"}]}`,
	`{"identifiers":[{"type":"phone","id":"+1"},{"type":"fax","id":"1"},{"type":"email","id":""},{"id":"y@example.com"},{"type":"email","id":"z@example.com","channels":{"sms":{},"email":{"status":"maybe","statusChangedAt":"yesterday"},"push":1}},{"type":"email","id":"w@example.com"},7,null]}`,
	`{"firstName":1,"lastName":true,"city":null,"postalCode":["x"],"country":{},"countryCode":"LTU","gender":"x","birthdate":"1990-13-01","tags":["", "   ", 5],"customProperties":{"bad name":1,"obj":{"a":1},"arr":[1]},"createdAt":"nope","identifiers":{}}`,
	`{"first\u004eame":"Esc","firstName":"Dup1","firstName":"Dup2","city":"M\u00fcnchen","lastName":"O\"Brien \\ <b>&amp;","tags":["a","a","b\u0000c",null],"identifiers":[{"type":"email","id":" MIXED@Case.Com ","channels":{"email":{"status":"subscribed"},"em\u0061il":{"status":"unsubscribed"}}}]}`,
	`{"identifiers":[{"type":"email","id":"\"quoted\"@example.com"},{"type":"email","id":"a..b@example.com"},{"type":"email","id":"Name <n@example.com>"},{"type":"email","id":"n@example"},{"type":"email","id":"n@example.com."},{"type":"email","id":"ü@example.com"}]}`,
	`{"identifiers":[{"type":"email","id":"n@example.com","sendWelcomeMessage":"yes","channels":null,"consent":[]}],"sendWelcomeEmail":"true"}`,
	`{"identifiers":[]} trailing`, `{"identifiers":[]}{"x":1}`, ` {"tags":[]} `, `null`, `null x`, ``, `   `, `[]`, `"s"`, `1`, `{`, `{"a":}`,
	`{"a":1,}`, `{"tags":["x"]`, "{\"firstName\":\"bad\xffutf8\",\"city\":\"ok\"}", "{\"k\xff\":1}", `{"firstName":"` + strings.Repeat("é", 40) + `"}`,
	`{"tags":` + `["` + strings.Repeat("t", 129) + `"]}`, `{"customProperties":null,"tags":null,"identifiers":null}`,
}

// sameContactRequest checks that the validator gives exactly what the old
// encoding/json one gave for body: the same input and the same errors.
func sameContactRequest(t *testing.T, v *validator, ref *refValidator, body []byte) {
	t.Helper()
	if isNull(body) {
		// The one intended difference: the old validator let null through
		// with no input and no error (then the handler crashed); now it
		// is an invalid body.
		for _, d := range []dialect{dialect2026, dialectV3} {
			in, err := v.contactRequest(body, d, true)
			require.Nil(t, in)
			require.NotNil(t, err, "null is refused")
		}
		return
	}
	for _, d := range []dialect{dialect2026, dialectV3} {
		for _, requireID := range []bool{true, false} {
			want, wantErr := ref.refContactRequest(body, d, requireID)
			got, gotErr := v.contactRequest(body, d, requireID)
			require.Equal(t, wantErr, gotErr, "errors for %q (%s)", body, d)
			require.Equal(t, want, asRefInput(got), "input for %q (%s)", body, d)
			if !requireID || !json.Valid(body) {
				continue
			}
			item := bytes.TrimSpace(body) // a batch item: valid JSON, as split from its batch
			got, gotErr = v.contactItem(item, d)
			require.Equal(t, wantErr, gotErr, "item errors for %q (%s)", body, d)
			require.Equal(t, want, asRefInput(got), "item input for %q (%s)", body, d)
		}
	}
}

func asRefInput(in *contactInput) *refInput {
	if in == nil {
		return nil
	}
	out := &refInput{Email: in.Email, Phone: in.Phone, Fields: map[string]string{}, Tags: in.Tags, HasTags: in.HasTags, Props: in.Props}
	for i, f := range personalFields {
		if v, ok := in.Fields.get(i); ok {
			out.Fields[f] = v
		}
	}
	return out
}

func TestContactRequestMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	v, ref := newValidator(), newRefValidator()
	for _, s := range contactSeeds {
		sameContactRequest(t, v, ref, []byte(s))
	}
	// Mutated seeds: deleted, inserted, duplicated and replaced bytes.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"{", "}", "[", "]", `"`, ":", ",", `\`, " ", "\n", "0", "1", "-", "e", ".", "n", "t", "a", "@",
		"\xff", "\xc3", "é", `\u0041`, `\"`, "null", "true", `"email"`, `"x"`, "+"}
	for range 30000 {
		b := []byte(contactSeeds[r.IntN(len(contactSeeds))])
		for range 1 + r.IntN(3) {
			i := r.IntN(len(b) + 1)
			j := min(len(b), i+r.IntN(6))
			switch r.IntN(4) {
			case 0:
				b = append(b[:i:i], b[j:]...)
			case 1:
				b = append(b[:i:i], append([]byte(alphabet[r.IntN(len(alphabet))]), b[i:]...)...)
			case 2:
				b = append(b[:j:j], append(append([]byte{}, b[i:j]...), b[j:]...)...)
			default:
				if i < len(b) {
					b = append(b[:i:i], append([]byte(alphabet[r.IntN(len(alphabet))]), b[i+1:]...)...)
				}
			}
		}
		sameContactRequest(t, v, ref, b)
	}
}

func FuzzContactRequest(f *testing.F) {
	for _, s := range contactSeeds {
		f.Add([]byte(s))
	}
	v, ref := newValidator(), newRefValidator()
	f.Fuzz(func(t *testing.T, body []byte) { sameContactRequest(t, v, ref, body) })
}

// TestFieldRulesMatchPatterns compares the hand-written checks with the
// patterns and net/mail they replace.
func TestFieldRulesMatchPatterns(t *testing.T) {
	t.Parallel()
	ref := newRefValidator()
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "z", "A", "Q", "0", "9", "1", "+", "-", "_", ".", "@", " ", "\"", "<", ">", "(", ")", "[", "]",
		"!", "#", "'", "é", "\xff", "example", "com", "..", "@@", "\t", "\n", ",", ";", ":", "\\", "="}
	check := func(s string) {
		gotE, gotOK := validEmail(s)
		wantE, wantOK := refValidEmail(s)
		require.Equal(t, wantOK, gotOK, "email %q", s)
		require.Equal(t, wantE, gotE, "email %q", s)
		require.Equal(t, ref.phone.MatchString(s), validPhone(s), "phone %q", s)
		require.Equal(t, ref.country.MatchString(s), validCountryCode(s), "country %q", s)
	}
	for _, s := range []string{"a@b.co", "A.B+c_d-e@sub-1.example.com", "a@b", ".a@b.co", "a.@b.co", "a@-b.co", "a@b-.co",
		"a@b..co", "+37060000000", "+0123", "+1", "+1234567890123456", "lt", "LT", "L1", "é"} {
		check(s)
	}
	for range 50000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		check(b.String())
	}
}

// TestSplitItemsMatchEncodingJSON checks the raw splitting against
// encoding/json on the batch bodies of the benchmark.
func TestSplitItemsMatchEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, d := range []dialect{dialect2026, dialectV3} {
		body := benchBatchBody(nil, d, 7)
		var want struct{ Items []json.RawMessage }
		require.NoError(t, json.Unmarshal(body, &want))
		var e errs
		obj, ok := decodeObject(body, nil, &e)
		require.True(t, ok)
		items, ok := decodeField[[]json.RawMessage](obj.get("items"), &e, "an array", nil, "items")
		require.True(t, ok)
		require.Empty(t, e)
		require.Equal(t, want.Items, ownItems(items))
	}
}
