package source

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

func readPostgres(ctx context.Context, s Source, opt ReadOptions, res *ReadResult, fn func(Row) error) error {
	cfg, err := pgx.ParseConfig(opt.Secret)
	if err != nil || opt.Secret == "" {
		return readErr(s, nil, "the DSN cannot be read: want postgres://USER:PASSWORD@HOST:PORT/DATABASE")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return pgError(s, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return pgError(s, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	q, args := s.Query, []any(nil)
	if s.Cursor != "" {
		q = `SELECT * FROM (` + strings.TrimRight(strings.TrimSpace(s.Query), ";") + `) AS segbridge_source`
		if c := opt.State.Cursor; c != nil && !opt.Full {
			q += ` WHERE segbridge_source."` + s.Cursor + `" > $1`
			args = append(args, c.Arg())
		}
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return pgError(s, err)
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	if len(fds) == 0 { // the server refused the query (pgx reports it on close)
		rows.Close()
		if err := rows.Err(); err != nil {
			return pgError(s, err)
		}
	}
	cols := make([]string, len(fds))
	for i, fd := range fds {
		cols[i] = fd.Name
	}
	cr, err := newColumnReader(s, cols, res, fn)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for rows.Next() {
		raw, err := rows.Values()
		if err != nil {
			return pgError(s, err)
		}
		for i, v := range raw {
			vals[i] = pgPlain(v)
			if t, ok := vals[i].(time.Time); ok && fds[i].DataTypeOID == pgtype.DateOID {
				vals[i] = t.Format(time.DateOnly) // a date, not a midnight
			}
		}
		if err := cr.row(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return pgError(s, err)
	}
	cr.finish()
	return nil
}

// pgPlain turns pgx's values into plain ones.
func pgPlain(v any) any {
	switch x := v.(type) {
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return nil
		}
		return f.Float64
	case pgtype.Text:
		if !x.Valid {
			return nil
		}
		return x.String
	}
	return plainValue(v)
}

// pgError words a PostgreSQL failure without the DSN.
func pgError(s Source, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "28P01" || pe.Code == "28000":
			e := readErr(s, nil, "the PostgreSQL server refused the sign-in: check the user and password in the source's DSN")
			e.Secret = true
			return e
		case pe.Code == "3D000":
			return readErr(s, nil, "the PostgreSQL database named in the DSN does not exist")
		case pe.Code == "25006":
			return readErr(s, nil, "the query tries to change data; a source only reads")
		case strings.HasPrefix(pe.Code, "42"):
			return readErr(s, nil, "the query is not valid: %s", pe.Message)
		}
		return readErr(s, nil, "the PostgreSQL server refused the query: %s", pe.Message)
	}
	var ne net.Error
	if errors.As(err, &ne) || strings.Contains(err.Error(), "connect") {
		return readErr(s, nil, "the PostgreSQL server in the DSN cannot be reached")
	}
	return readErr(s, nil, "reading from PostgreSQL failed")
}
