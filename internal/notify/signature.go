package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a webhook body's signature.
const SignatureHeader = "X-Segbridge-Signature"

// Sign is the signature of a webhook body sent at unix time ts:
//
//	t=<ts>,v1=<hex of HMAC-SHA256(secret, "<ts>.<body>")>
//
// ts is in seconds, in decimal; the message signed is those digits, a
// dot, and the body's bytes exactly as received. A receiver recomputes
// the HMAC with the channel's secret, compares it in constant time, and
// refuses a timestamp too far from its clock (Verify: 5 minutes), which
// stops replays of an old body.
func Sign(secret []byte, ts int64, body []byte) string {
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// SignatureTolerance is how far a signature's time may be from the
// receiver's clock.
const SignatureTolerance = 5 * time.Minute

// ErrBadSignature is returned (wrapped) by Verify.
var ErrBadSignature = errors.New("bad webhook signature")

// Verify checks header (the SignatureHeader's value) against body and
// secret at time now, as a receiver written in Go would. Any v1 value
// that matches is accepted (a sender may list several).
func Verify(secret []byte, header string, body []byte, now time.Time) error {
	var ts int64 = -1
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: unreadable timestamp", ErrBadSignature)
			}
			ts = n
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts < 0 || len(sigs) == 0 {
		return fmt.Errorf("%w: want t=<unix time>,v1=<hex>", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return fmt.Errorf("%w: timestamp %d is %s from now", ErrBadSignature, ts, d.Round(time.Second))
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", ErrBadSignature)
}
