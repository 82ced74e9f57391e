package demodata

import (
	"bytes"
	"strconv"
	"time"
)

// appendDate appends the UTC date of Unix time sec as YYYY-MM-DD.
func appendDate(dst []byte, sec int64) []byte {
	y, m, d := time.Unix(sec, 0).UTC().Date()
	dst = appendPadded(dst, y, 4)
	dst = appendPadded(append(dst, '-'), int(m), 2)
	return appendPadded(append(dst, '-'), d, 2)
}

// appendTimestamp appends Unix time sec as an RFC 3339 UTC timestamp
// (2024-03-05T10:11:12Z).
func appendTimestamp(dst []byte, sec int64) []byte {
	dst = appendDate(dst, sec)
	s := sec % (24 * 60 * 60)
	if s < 0 {
		s += 24 * 60 * 60
	}
	dst = appendPadded(append(dst, 'T'), int(s/3600), 2)
	dst = appendPadded(append(dst, ':'), int(s/60%60), 2)
	dst = appendPadded(append(dst, ':'), int(s%60), 2)
	return append(dst, 'Z')
}

// appendPadded appends non-negative v zero-padded to width digits.
func appendPadded(dst []byte, v, width int) []byte {
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], int64(v), 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

// appendCents appends a non-negative amount in cents as a decimal with two
// places (1234 → "12.34").
func appendCents(dst []byte, cents int) []byte {
	dst = strconv.AppendInt(dst, int64(cents/100), 10)
	return appendPadded(append(dst, '.'), cents%100, 2)
}

// spoilEmail makes a well-formed address invalid in one of three common
// ways: kind 0 drops the '@', kind 1 puts a space in the local part, kind 2
// doubles a dot.
func spoilEmail(e []byte, kind int) []byte {
	at := bytes.IndexByte(e, '@')
	switch kind {
	case 0:
		return append(e[:at], e[at+1:]...)
	case 1:
		if i := bytes.IndexAny(e[:at], "._"); i >= 0 {
			e[i] = ' '
			return e
		}
		return insertByte(e, at, ' ')
	default:
		return insertByte(e, bytes.IndexByte(e, '.'), '.')
	}
}

func insertByte(b []byte, i int, c byte) []byte {
	b = append(b, 0)
	copy(b[i+1:], b[i:])
	b[i] = c
	return b
}

// mixCase capitalises the first letter of the address, the letter after
// each '.' or '_' in the local part, and the first letter of the domain
// ("john.smith7@example.com" → "John.Smith7@Example.com").
func mixCase(e []byte) []byte {
	at := bytes.IndexByte(e, '@')
	upper := true
	for i := 0; i < at; i++ {
		c := e[i]
		if upper && 'a' <= c && c <= 'z' {
			e[i] = c - 'a' + 'A'
		}
		upper = c == '.' || c == '_'
	}
	if at >= 0 && at+1 < len(e) && 'a' <= e[at+1] && e[at+1] <= 'z' {
		e[at+1] -= 'a' - 'A'
	}
	return e
}
