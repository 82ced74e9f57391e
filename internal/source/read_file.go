package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"segbridge/internal/profile"
)

// Newest returns the newest file (by modification time) matching the glob
// pattern; a plain path matches itself.
func Newest(pattern string) (string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid glob", pattern)
	}
	var (
		best    string
		bestMod time.Time
	)
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil || fi.IsDir() {
			continue
		}
		if best == "" || fi.ModTime().After(bestMod) || (fi.ModTime().Equal(bestMod) && m > best) {
			best, bestMod = m, fi.ModTime()
		}
	}
	if best == "" {
		return "", fmt.Errorf("no file matches %s", pattern)
	}
	return best, nil
}

func readFile(ctx context.Context, s Source, res *ReadResult, fn func(Row) error) error {
	path, err := Newest(s.Path)
	if err != nil {
		return readErr(s, err, "%s", err.Error())
	}
	f, err := os.Open(path)
	if err != nil {
		msg := "cannot open " + path
		if errors.Is(err, fs.ErrPermission) {
			msg += ": permission denied"
		}
		return readErr(s, err, "%s", msg)
	}
	defer f.Close()
	format := s.Format
	if format == "" {
		format = profile.FormatFromPath(path)
	}
	return readProfiles(ctx, s, f, format, path, res, fn)
}

// readProfiles reads CSV or JSON Lines as profile import reads them.
func readProfiles(ctx context.Context, s Source, r io.Reader, format profile.Format, where string, res *ReadResult, fn func(Row) error) error {
	pr, err := profile.NewReader(r, profile.ReadOptions{Format: format, IDColumn: s.IDColumn, Types: s.Types})
	if err != nil {
		return readErr(s, err, "%s cannot be read: %s", where, err.Error())
	}
	for n := 0; ; n++ {
		if n%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := pr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return readErr(s, err, "%s cannot be read: %s", where, err.Error())
		}
		if rec.Err != nil {
			res.reject(rec.Err.Error())
			continue
		}
		if err := fn(rowOf(s, rec.Profile.ID, rec.Profile.Attrs)); err != nil {
			return err
		}
	}
}

func readURL(ctx context.Context, s Source, opt ReadOptions, res *ReadResult, fn func(Row) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return readErr(s, nil, "the address cannot be used")
	}
	if opt.Secret != "" {
		req.Header.Set(headerOf(s), opt.Secret)
	}
	if !opt.Full {
		if opt.State.ETag != "" {
			req.Header.Set("If-None-Match", opt.State.ETag)
		}
		if opt.State.LastModified != "" {
			req.Header.Set("If-Modified-Since", opt.State.LastModified)
		}
	}
	client := opt.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	where := RedactURL(s.URL)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return readErr(s, nil, "%s cannot be reached", where)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		res.Unchanged = true
		return nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e := readErr(s, nil, "%s refused the source's secret (HTTP %d): check the secret", where, resp.StatusCode)
		if opt.Secret == "" {
			e.Msg = fmt.Sprintf("%s asks for a secret (HTTP %d): give one with --secret-file or --secret-env", where, resp.StatusCode)
		}
		e.Secret = true
		return e
	case resp.StatusCode != http.StatusOK:
		return readErr(s, nil, "%s answered HTTP %d %s", where, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	format := s.Format
	if format == "" {
		format = profile.FormatFromPath(req.URL.Path)
		if strings.Contains(resp.Header.Get("Content-Type"), "json") {
			format = profile.FormatJSONL
		}
	}
	if err := readProfiles(ctx, s, resp.Body, format, where, res, fn); err != nil {
		return err
	}
	res.State.ETag, res.State.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return nil
}

// headerOf is the header that carries a URL source's secret.
func headerOf(s Source) string {
	if s.Header == "" {
		return "Authorization"
	}
	return s.Header
}
