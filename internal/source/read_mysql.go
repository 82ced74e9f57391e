package source

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

func readMySQL(ctx context.Context, s Source, opt ReadOptions, res *ReadResult, fn func(Row) error) error {
	cfg, err := mysql.ParseDSN(opt.Secret)
	if err != nil || opt.Secret == "" {
		return readErr(s, nil, "the DSN cannot be read: want USER:PASSWORD@tcp(HOST:PORT)/DATABASE")
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return readErr(s, nil, "the DSN cannot be used")
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return mysqlError(s, err)
	}
	defer func() { _ = tx.Rollback() }()
	q, args := s.Query, []any(nil)
	if s.Cursor != "" {
		q = "SELECT * FROM (" + strings.TrimRight(strings.TrimSpace(s.Query), ";") + ") AS segbridge_source"
		if c := opt.State.Cursor; c != nil && !opt.Full {
			q += " WHERE segbridge_source.`" + s.Cursor + "` > ?"
			args = append(args, c.Arg())
		}
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return mysqlError(s, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return mysqlError(s, err)
	}
	cols := make([]string, len(types))
	for i, t := range types {
		cols[i] = t.Name()
	}
	cr, err := newColumnReader(s, cols, res, fn)
	if err != nil {
		return err
	}
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	vals := make([]any, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return mysqlError(s, err)
		}
		for i, v := range raw {
			vals[i] = mysqlPlain(v, types[i].DatabaseTypeName())
		}
		if err := cr.row(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return mysqlError(s, err)
	}
	cr.finish()
	return nil
}

// mysqlPlain types the text the driver returns by the column's type.
func mysqlPlain(v any, dbType string) any {
	b, ok := v.([]byte)
	if !ok {
		return plainValue(v)
	}
	s := string(b)
	switch strings.TrimPrefix(dbType, "UNSIGNED ") {
	case "INT", "BIGINT", "TINYINT", "SMALLINT", "MEDIUMINT", "YEAR":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case "DECIMAL", "FLOAT", "DOUBLE":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return plainValue(b)
}

// mysqlError words a MySQL or MariaDB failure without the DSN.
func mysqlError(s Source, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045, 1044, 1698:
			e := readErr(s, nil, "the MySQL server refused the sign-in: check the user and password in the source's DSN")
			e.Secret = true
			return e
		case 1049:
			return readErr(s, nil, "the MySQL database named in the DSN does not exist")
		case 1792:
			return readErr(s, nil, "the query tries to change data; a source only reads")
		case 1064, 1146, 1054, 1052:
			return readErr(s, nil, "the query is not valid: %s", me.Message)
		}
		return readErr(s, nil, "the MySQL server refused the query: %s", me.Message)
	}
	var ne net.Error
	if errors.As(err, &ne) || strings.Contains(err.Error(), "dial") || strings.Contains(err.Error(), "connect") {
		return readErr(s, nil, "the MySQL server in the DSN cannot be reached")
	}
	return readErr(s, nil, "reading from MySQL failed")
}
