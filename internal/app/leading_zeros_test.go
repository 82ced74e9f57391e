package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend/sandbox"
	"segbridge/internal/profile"
	"segbridge/internal/segment"
)

// TestLeadingZerosReachOmnisend: postal codes with leading zeros stay
// text from the import to Omnisend, and a rule can test them as text
// (issue 13, acceptance 1).
func TestLeadingZerosReachOmnisend(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newE2E(t, dbURL, 200, sandbox.FaultConfig{})
		e.importProfiles([]byte("id,email,orders,postal_code,first_name\n" +
			"z1,z1@example.com,3,01234,Zoe\n" +
			"z2,z2@example.com,1,00501,Zack\n" +
			"z3,z3@example.com,2,10501,Zed\n"))
		p, err := e.a.Store.GetProfile(e.ctx, "z1")
		require.NoError(t, err)
		require.Equal(t, "01234", p.Attrs["postal_code"], "stored as text")

		d, err := segment.NewRuleDraft("Zero", `p.postal_code.startsWith("0")`)
		require.NoError(t, err)
		seg, err := e.a.Store.CreateSegment(e.ctx, d, time.Now())
		require.NoError(t, err)
		ex := e.export
		ex.Segments = []int64{seg.ID}
		e.export, err = e.a.Store.UpdateExport(e.ctx, ex)
		require.NoError(t, err)

		// Which stored profiles have a postal code starting with 0 (the
		// generated ones may too).
		want := map[string]string{}
		require.NoError(t, e.a.Store.ScanProfiles(e.ctx, func(_ string, raw []byte) error {
			attrs, err := profile.DecodeAttrs(raw)
			if err != nil {
				return err
			}
			if pc, ok := attrs["postal_code"].(string); ok && strings.HasPrefix(pc, "0") {
				want[strings.ToLower(attrs["email"].(string))] = pc
			}
			return nil
		}))
		require.Equal(t, "01234", want["z1@example.com"])
		require.Equal(t, "00501", want["z2@example.com"])

		r := e.run()
		require.Equal(t, len(want), r.Counts.Added, "%+v", r.Counts)
		got := e.contacts()
		require.Len(t, got, len(want))
		for email, pc := range want {
			require.Equal(t, pc, got[email]["postalCode"], email)
		}
	})
}
