package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// upload is a profile import's request body, streamed to the importer:
// nothing is spooled to disk, and no more than MaxUploadBytes is read.
type upload struct {
	body  *bufio.Reader
	limit int64
	mu    sync.Mutex
	err   error // the first read error other than io.EOF
}

// acquireUpload takes one of the MaxUploads slots, or answers 503 at once
// when all are taken. Call release when the import is done.
func (s *server) acquireUpload() (release func(), err error) {
	select {
	case s.uploads <- struct{}{}:
		return func() { <-s.uploads }, nil
	default:
		return nil, busy(fmt.Sprintf("%d uploads are being imported already, the most this server takes at once; "+
			"try again when one has finished", cap(s.uploads)))
	}
}

// openUpload checks the request body of ctx's request: a declared length
// over the limit is 413 before anything is read, an empty body is 422.
func (s *server) openUpload(ctx context.Context) (*upload, error) {
	r, w, ok := rawRequest(ctx)
	if !ok {
		return nil, huma.Error500InternalServerError("no request")
	}
	if r.ContentLength > s.cfg.MaxUploadBytes {
		return nil, tooLarge(s.cfg.MaxUploadBytes, 0)
	}
	u := &upload{limit: s.cfg.MaxUploadBytes}
	u.body = bufio.NewReaderSize(&countingReader{u: u, r: http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)}, 64<<10)
	if _, err := u.body.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, huma.Error422UnprocessableEntity("the request body is empty: send the CSV or JSON Lines file as the body")
		}
		if u.tooLarge() {
			return nil, tooLarge(u.limit, 0)
		}
		return nil, huma.Error400BadRequest("reading the upload failed; send it again")
	}
	return u, nil
}

// tooLarge reports whether reading stopped at the size limit.
func (u *upload) tooLarge() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	var mbe *http.MaxBytesError
	return errors.As(u.err, &mbe)
}

// readFailed reports whether reading the body failed for another reason
// (the client went away).
func (u *upload) readFailed() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err != nil
}

// countingReader keeps the first error of what it reads.
type countingReader struct {
	u *upload
	r io.Reader
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.u.mu.Lock()
	if err != nil && !errors.Is(err, io.EOF) && c.u.err == nil {
		c.u.err = err
	}
	c.u.mu.Unlock()
	return n, err
}

// tooLarge is the 413 of an upload over limit bytes; committed rows (of a
// non-strict import that streamed up to the limit) are said to stay.
func tooLarge(limit int64, committed int) error {
	msg := fmt.Sprintf("the upload is larger than %d bytes, the most this server takes (serve --max-upload); "+
		"split the file", limit)
	if committed > 0 {
		msg += fmt.Sprintf("; the %d rows before the limit were imported, importing them again changes nothing", committed)
	}
	return huma.Error413RequestEntityTooLarge(msg)
}
