package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

// TestProfilesSchema: imports keep the schema, postal codes and phone
// numbers stay strings, --type pins a type for later imports too, and
// rules are compiled against the types.
func TestProfilesSchema(t *testing.T) { onEachEngine(t, testProfilesSchema) }

func testProfilesSchema(t *testing.T, b *bundle) {
	b.ok("import", "profiles", b.file("c.csv", "id,email,postal_code,phone,orders,ltv,since,code\n"+
		"c1,a@example.com,01234,420777123456,5,10.5,2024-01-02,1\n"+
		"c2,b@example.com,12345,+420 777,2,3,2024-02-03,2\n"), "--id", "id", "--type", "code=string")
	var s profile.Schema
	require.NoError(t, json.Unmarshal([]byte(b.ok("profiles", "schema", "-o", "json")), &s))
	require.Equal(t, 2, s.Profiles)
	types := map[string]profile.Type{}
	for _, a := range s.Attributes {
		types[a.Name] = a.Type
		require.Equal(t, 2, a.Profiles, a.Name)
	}
	require.Equal(t, map[string]profile.Type{"email": "string", "postal_code": "string", "phone": "string",
		"orders": "integer", "ltv": "decimal", "since": "date", "code": "string"}, types)

	text := b.ok("profiles", "schema")
	require.Contains(t, text, "7 attributes over 2 profiles")
	require.Regexp(t, `code\s+string\s+2\s+pinned`, text)
	require.Regexp(t, `ltv\s+decimal\s+2\s+values: decimal 1, integer 1`, text)

	// The pin holds for the next import, without --type.
	b.ok("import", "profiles", b.file("c2.csv", "id,code\nc3,3\n"), "--id", "id")
	var p profileJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("profiles", "show", "c3", "-o", "json")), &p))
	require.Equal(t, "3", p.Attrs["code"])
	require.Contains(t, b.fails("import", "profiles", b.file("c3.csv", "id,n\nc4,x\n"), "--id", "id", "--type", "n=integer"),
		`every row was rejected (1 of 1)`)

	b.ok("segment", "create", "Zero", "--rule", `p.postal_code.startsWith("0")`)
	require.Contains(t, b.ok("segment", "refresh", "Zero"), "1 members of 3 profiles")
	require.Contains(t, b.fails("segment", "create", "T", "--rule", `p.orders > "x"`),
		`rule error at line 1, column 10: found no matching overload for '_>_' applied to '(int, string)'`)
	require.Contains(t, b.fails("segment", "update", "Zero", "--rule", `p.orders > "x"`), "line 1, column 10")
	require.Contains(t, b.fails("segment", "create", "T", "--rule", `p.e_mail.endsWith("@example.com")`),
		`rule error at line 1, column 1: no profile has the attribute "e_mail" (did you mean email?)`)
	require.Contains(t, b.fails("segment", "update", "Zero", "--rule", `has(p.postalcode)`), `did you mean postal_code?`)
}

// TestExportMappingChecked: a mapping naming an attribute no profile has,
// or e-mail mapped to a non-string attribute, is refused on save.
func TestExportMappingChecked(t *testing.T) { onEachEngine(t, testExportMappingChecked) }

func testExportMappingChecked(t *testing.T, b *bundle) {
	exportFixture(t, b)
	create := func(maps ...string) []string {
		args := []string{"export", "create", "VIP", "--connection", "main shop", "--segment", "VIP buyers"}
		for _, m := range maps {
			args = append(args, "--map", m)
		}
		return args
	}
	require.Contains(t, b.fails(create("email=e_mail")...), `--map email: no profile has the attribute "e_mail" (did you mean email?)`)
	require.Contains(t, b.fails(create("email=orders")...), `--map email: attribute "orders" holds integer values (integer 3), not text: e-mail must map to a string attribute`)
	require.Contains(t, b.fails(append(create("email=email"), "--custom", "n=order")...), `--custom n: no profile has the attribute "order" (did you mean orders?)`)
	b.ok(create("email=email")...)
	require.Contains(t, b.fails("export", "update", "VIP", "--map", "email=e_mail"), `did you mean email?`)
	require.Contains(t, b.fails("export", "update", "VIP", "--consent", "concent"), `--consent: no profile has the attribute "concent"`)
}
