package source_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/source"
	"segbridge/internal/source/mysqltest"
	"segbridge/internal/store/postgres/pgtest"
)

func readAll(t *testing.T, s source.Source, opt source.ReadOptions) (source.ReadResult, []source.Row, error) {
	t.Helper()
	var rows []source.Row
	res, err := source.Read(context.Background(), s, opt, func(r source.Row) error {
		rows = append(rows, r)
		return nil
	})
	return res, rows, err
}

func TestReadFileTakesTheNewestMatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := filepath.Join(dir, "crm-1.csv")
	require.NoError(t, os.WriteFile(old, []byte("id,email\n1,old@example.com\n"), 0o600))
	require.NoError(t, os.Chtimes(old, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crm-2.jsonl"), []byte(`{"id":"2","email":"New@Example.com","zip":"01234"}`+"\n{}\n"), 0o600))
	s := source.Source{Name: "crm", Kind: source.KindFile, Path: filepath.Join(dir, "crm-*"), IDColumn: "id", EmailColumn: "email"}
	res, rows, err := readAll(t, s, source.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "2", rows[0].ID)
	require.Equal(t, "New@Example.com", rows[0].Email)
	require.Equal(t, "01234", rows[0].Attrs["zip"])
	require.Equal(t, 1, res.Rejected, "a row without an id")
	require.Equal(t, "new@example.com", source.Key(source.MatchEmail, rows[0].ID, rows[0].Email))

	s.Path = filepath.Join(dir, "none-*.csv")
	_, _, err = readAll(t, s, source.ReadOptions{})
	require.ErrorContains(t, err, `source "crm": no file matches`)
}

func TestReadURLHonoursValidatorsAndSecrets(t *testing.T) {
	t.Parallel()
	const token = "Bearer s3cr3t-token-value"
	reads := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != token {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		reads++
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT")
		fmt.Fprint(w, "id,email,points\n1,a@example.com,5\n2,b@example.com,7\n")
	}))
	t.Cleanup(srv.Close)
	s := source.Source{Name: "feed", Kind: source.KindURL, URL: srv.URL + "/feed.csv", Header: "X-Token", IDColumn: "id", EmailColumn: "email"}
	res, rows, err := readAll(t, s, source.ReadOptions{Secret: token})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, int64(7), rows[1].Attrs["points"])
	require.Equal(t, `"v1"`, res.State.ETag)

	res, rows, err = readAll(t, s, source.ReadOptions{Secret: token, State: res.State})
	require.NoError(t, err)
	require.True(t, res.Unchanged, "304: not read again")
	require.Empty(t, rows)
	require.Equal(t, 1, reads)

	_, _, err = readAll(t, s, source.ReadOptions{Secret: "Bearer wrong-one"})
	var se *source.Error
	require.ErrorAs(t, err, &se)
	require.True(t, se.Secret)
	require.Contains(t, err.Error(), "refused the source's secret (HTTP 401): check the secret")
	require.NotContains(t, err.Error(), "wrong-one")
}

func TestReadPostgresStreamsWithACursor(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(ctx) })
	_, err = conn.Exec(ctx, `CREATE TABLE people (id int PRIMARY KEY, email text, score numeric(6,2), vip boolean,
		born date, seen timestamptz, phone bigint, updated_at timestamptz NOT NULL);
		INSERT INTO people SELECT i, 'p' || i || '@example.com', i * 1.5, i % 2 = 0, '1990-01-02', '2026-01-01T10:00:00Z',
		420123456, '2026-01-01T00:00:00Z'::timestamptz + i * interval '1 minute' FROM generate_series(1, 50) AS i`)
	require.NoError(t, err)
	s := source.Source{Name: "people", Kind: source.KindPostgres, Query: "SELECT * FROM people", IDColumn: "id",
		EmailColumn: "email", Cursor: "updated_at", Types: map[string]profile.Type{"vip": profile.TypeString}}
	res, rows, err := readAll(t, s, source.ReadOptions{Secret: url})
	require.NoError(t, err)
	require.Len(t, rows, 50)
	r := rows[0]
	require.Equal(t, int64(1), r.Attrs["id"])
	require.Equal(t, 1.5, r.Attrs["score"])
	require.Equal(t, "false", r.Attrs["vip"], "a pinned type converts")
	require.Equal(t, "1990-01-02", r.Attrs["born"])
	require.Equal(t, "2026-01-01T10:00:00Z", r.Attrs["seen"])
	require.Equal(t, "420123456", r.Attrs["phone"], "a phone column's numbers stay text")
	require.Equal(t, "time", res.State.Cursor.Type)

	_, err = conn.Exec(ctx, `UPDATE people SET email = 'changed@example.com', updated_at = '2027-01-01T00:00:00Z' WHERE id IN (7, 9)`)
	require.NoError(t, err)
	res, rows, err = readAll(t, s, source.ReadOptions{Secret: url, State: res.State})
	require.NoError(t, err)
	require.Len(t, rows, 2, "only the rows past the cursor")
	require.Equal(t, 2, res.Rows)

	_, _, err = readAll(t, source.Source{Name: "bad", Kind: source.KindPostgres, Query: "DELETE FROM people RETURNING id", IDColumn: "id"},
		source.ReadOptions{Secret: url})
	require.ErrorContains(t, err, "the query tries to change data; a source only reads")
}

func TestReadPostgresWrongPassword(t *testing.T) {
	t.Parallel()
	base := pgtest.Base(t)
	cfg, err := pgx.ParseConfig(base)
	require.NoError(t, err)
	dsn := fmt.Sprintf("postgres://nobody_here:Pa55-word-xyz@%s:%d/%s?sslmode=disable", cfg.Host, cfg.Port, cfg.Database)
	_, _, err = readAll(t, source.Source{Name: "crm", Kind: source.KindPostgres, Query: "SELECT 1 AS id", IDColumn: "id"},
		source.ReadOptions{Secret: dsn})
	require.Error(t, err)
	require.Contains(t, err.Error(), `source "crm": the PostgreSQL server refused the sign-in`)
	require.NotContains(t, err.Error(), "Pa55-word-xyz")
	require.NotContains(t, err.Error(), "nobody_here")
}

func TestReadMySQL(t *testing.T) {
	t.Parallel()
	dsn := mysqltest.DSN(t)
	mysqltest.Exec(t, dsn, `CREATE TABLE buyers (id INT PRIMARY KEY, mail VARCHAR(100), name VARCHAR(50), total DECIMAL(8,2),
		zip VARCHAR(10), updated_at DATETIME NOT NULL)`,
		`INSERT INTO buyers VALUES (1, ' Ann@Example.com', 'Ann', 12.50, '01234', '2026-01-01 10:00:00'),
		(2, NULL, 'Bob', 3, NULL, '2026-01-01 11:00:00'), (3, 'cy@example.com', 'Cy', NULL, '99', '2026-01-01 12:00:00')`)
	s := source.Source{Name: "shop", Kind: source.KindMySQL, Query: "SELECT * FROM buyers", IDColumn: "id", EmailColumn: "mail",
		Cursor: "updated_at"}
	res, rows, err := readAll(t, s, source.ReadOptions{Secret: dsn})
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, "1", rows[0].ID)
	require.Equal(t, int64(1), rows[0].Attrs["id"])
	require.Equal(t, 12.5, rows[0].Attrs["total"])
	require.Equal(t, "01234", rows[0].Attrs["zip"])
	require.Equal(t, "ann@example.com", source.Key(s.Match, rows[0].ID, rows[0].Email))
	require.Equal(t, "2", source.Key(s.Match, rows[1].ID, rows[1].Email), "no e-mail: the id")
	require.Equal(t, "2026-01-01 12:00:00", res.State.Cursor.Value)

	mysqltest.Exec(t, dsn, `UPDATE buyers SET name = 'Bobby', updated_at = '2026-02-01 00:00:00' WHERE id = 2`)
	_, rows, err = readAll(t, s, source.ReadOptions{Secret: dsn, State: res.State})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "Bobby", rows[0].Attrs["name"])

	_, _, err = readAll(t, source.Source{Name: "shop", Kind: source.KindMySQL, Query: "SELECT * FROM nowhere", IDColumn: "id"},
		source.ReadOptions{Secret: dsn})
	require.ErrorContains(t, err, `source "shop": the query is not valid`)

	cfg, err := mysql.ParseDSN(dsn)
	require.NoError(t, err)
	cfg.User, cfg.Passwd = "nobody_here", "Pa55-word-xyz"
	_, _, err = readAll(t, s, source.ReadOptions{Secret: cfg.FormatDSN()})
	require.Error(t, err)
	require.Contains(t, err.Error(), `source "shop": the MySQL server refused the sign-in`)
	require.NotContains(t, err.Error(), "Pa55-word-xyz")
	require.False(t, strings.Contains(err.Error(), "nobody_here"))
}

func TestSourceValidateNamesTheField(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s     source.Source
		field string
	}{
		{source.Source{Name: "", Kind: source.KindFile, Path: "x", IDColumn: "id"}, "name"},
		{source.Source{Name: "a", Kind: "ftp", IDColumn: "id"}, "kind"},
		{source.Source{Name: "a", Kind: source.KindFile, Path: "x"}, "id"},
		{source.Source{Name: "a", Kind: source.KindURL, URL: "https://u:p@example.com/f.csv", IDColumn: "id"}, "url"},
		{source.Source{Name: "a", Kind: source.KindURL, URL: "https://example.com/f.csv?api_key=abc", IDColumn: "id"}, "url"},
		{source.Source{Name: "a", Kind: source.KindPostgres, IDColumn: "id"}, "query"},
		{source.Source{Name: "a", Kind: source.KindMySQL, Query: "SELECT 1", Cursor: "x; DROP", IDColumn: "id"}, "cursor"},
		{source.Source{Name: "a", Kind: source.KindFile, Path: "x", Cursor: "c", IDColumn: "id"}, "cursor"},
	} {
		err := c.s.Validate()
		var fe *source.FieldError
		require.ErrorAs(t, err, &fe, "%+v", c.s)
		require.Equal(t, c.field, fe.Field, err.Error())
	}
	require.NoError(t, source.Source{Name: "ok", Kind: source.KindURL, URL: "https://example.com/f.csv?page=2", IDColumn: "id"}.Validate())
}
