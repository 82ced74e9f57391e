package connection_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
)

func validDraft() connection.Draft {
	return connection.Draft{
		Name: "Shop", APIKey: omnisend.NewSecret("key-123456"), ExportUser: "admin@example.com",
		Consent: connection.Consent{By: "alice", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	}
}

func TestDraftDefaults(t *testing.T) {
	t.Parallel()
	d := validDraft()
	d.Name = "  Shop  "
	d = d.WithDefaults()
	require.NoError(t, d.Validate())
	require.Equal(t, "Shop", d.Name)
	require.Equal(t, connection.AccessAdmins, d.Access)
	require.Equal(t, omnisend.Dialect20260315, d.Dialect)
	require.Equal(t, omnisend.DefaultBaseURL, d.BaseURL)
	require.Equal(t, connection.TaggingUpsert, d.Tagging)
}

func TestDraftValidate(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		edit func(*connection.Draft)
		want string
	}{
		"no name":         {func(d *connection.Draft) { d.Name = " " }, "needs a name"},
		"long name":       {func(d *connection.Draft) { d.Name = strings.Repeat("é", 101) }, "101 characters"},
		"digits name":     {func(d *connection.Draft) { d.Name = "42" }, "only digits"},
		"control in name": {func(d *connection.Draft) { d.Name = "a\tb" }, "control character"},
		"bad access":      {func(d *connection.Draft) { d.Access = "viewers" }, `access "viewers"`},
		"empty key":       {func(d *connection.Draft) { d.APIKey = omnisend.Secret{} }, "API key is empty"},
		"space in key":    {func(d *connection.Draft) { d.APIKey = omnisend.NewSecret("ab cd") }, "whitespace"},
		"no consent":      {func(d *connection.Draft) { d.Consent = connection.Consent{} }, "consent to the privacy and compliance notice is required"},
		"old notice":      {func(d *connection.Draft) { d.Consent.NoticeVersion = "2000-01-01" }, "current one is " + connection.NoticeVersion},
		"consent by":      {func(d *connection.Draft) { d.Consent.By = "" }, "who agreed"},
		"consent at":      {func(d *connection.Draft) { d.Consent.At = time.Time{} }, "when they agreed"},
		"no export user":  {func(d *connection.Draft) { d.ExportUser = "" }, "export user is required"},
		"bad export user": {func(d *connection.Draft) { d.ExportUser = "Alice <a@example.com>" }, "want an e-mail address"},
		"no tld":          {func(d *connection.Draft) { d.ExportUser = "a@localhost" }, "want an e-mail address"},
		"bad dialect":     {func(d *connection.Draft) { d.Dialect = "v5" }, `dialect "v5"`},
		"bad tagging":     {func(d *connection.Draft) { d.Tagging = "both" }, `tagging "both": want "upsert"`},
		"tagging on v3": {func(d *connection.Draft) { d.Dialect, d.Tagging = omnisend.DialectV3, connection.TaggingEndpoints },
			"Omnisend's v3 API has no tag endpoints"},
		"relative URL":   {func(d *connection.Draft) { d.BaseURL = "/api" }, "absolute http(s) URL"},
		"ftp URL":        {func(d *connection.Draft) { d.BaseURL = "ftp://x" }, "absolute http(s) URL"},
		"URL with user":  {func(d *connection.Draft) { d.BaseURL = "https://u:p@x" }, "user or password"},
		"URL with query": {func(d *connection.Draft) { d.BaseURL = "https://x/?a=1" }, "query"},
	} {
		d := validDraft()
		tc.edit(&d)
		err := d.WithDefaults().Validate()
		require.ErrorContains(t, err, tc.want, name)
	}
	err := connection.Draft{}.WithDefaults().Validate()
	require.Error(t, err)
	d := validDraft()
	d.Consent = connection.Consent{}
	require.ErrorIs(t, d.WithDefaults().Validate(), connection.ErrConsentRequired)
}

func TestParseAccess(t *testing.T) {
	t.Parallel()
	a, err := connection.ParseAccess("contributors")
	require.NoError(t, err)
	require.Equal(t, connection.AccessContributors, a)
	_, err = connection.ParseAccess("everyone")
	require.ErrorContains(t, err, `want "admins" (the default) or "contributors"`)
}

func TestTagging(t *testing.T) {
	t.Parallel()
	d := validDraft()
	d.Tagging = connection.TaggingEndpoints
	require.NoError(t, d.WithDefaults().Validate(), "2026-03-15 has the tag endpoints")
	tg, err := connection.ParseTagging("")
	require.NoError(t, err)
	require.Equal(t, connection.TaggingUpsert, tg)
	require.ErrorContains(t, connection.ValidateTagging(connection.TaggingEndpoints, omnisend.DialectV3),
		`tagging "endpoints" needs the 2026-03-15 API`)
	require.NoError(t, connection.ValidateTagging(connection.TaggingUpsert, omnisend.DialectV3))
}

func TestLast4(t *testing.T) {
	t.Parallel()
	require.Equal(t, "wxyz", connection.Last4("abcdefgh-wxyz"))
	require.Equal(t, "456", connection.Last4("123456"), "never more than half of a short key")
	require.Equal(t, "", connection.Last4("x"))
	require.Equal(t, "ěšč€", connection.Last4("abcdefěšč€"), "characters, not bytes")
}

func TestNoticeSaysWhatHappens(t *testing.T) {
	t.Parallel()
	require.Contains(t, connection.NoticeText, connection.NoticeVersion)
	require.Contains(t, connection.NoticeText, "personal data")
	require.Contains(t, connection.NoticeText, "Omnisend")
	require.Contains(t, connection.NoticeText, "you have the right")
}
