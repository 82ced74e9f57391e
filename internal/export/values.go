package export

import (
	"strconv"
	"strings"
	"time"

	"segbridge/internal/omnisend"
)

// text renders an attribute value as a trimmed string: strings as they are,
// integers in decimal, numbers in the shortest form without an exponent
// (60601 rather than 6.0601e+04), booleans as true/false.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// validEmail reports whether s (trimmed and lower-cased already) is a plain
// ASCII address: a dot-atom local part of at most 64 characters, '@', and a
// domain of at least two dot-separated labels of letters, digits and '-'
// (not at either end), whose last label is not all digits; 254 characters
// at most. Everything it accepts, net/mail accepts too (tested); quoted
// local parts, IP-literal domains and non-ASCII addresses are refused.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > 64 || len(s) > 254 {
		return false
	}
	return validLocal(s[:at]) && validDomain(s[at+1:])
}

func validLocal(l string) bool {
	if l[0] == '.' || l[len(l)-1] == '.' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			continue
		}
		if c == '.' {
			if l[i-1] == '.' {
				return false
			}
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", rune(c)) {
			return false
		}
	}
	return true
}

func validDomain(d string) bool {
	labels, start, digitsOnly := 0, 0, true
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			switch {
			case c >= 'a' && c <= 'z' || c == '-':
				digitsOnly = false
			case c >= '0' && c <= '9':
			default:
				return false
			}
			continue
		}
		n := i - start
		if n == 0 || n > 63 || d[start] == '-' || d[i-1] == '-' {
			return false
		}
		labels++
		if i == len(d) && digitsOnly {
			return false
		}
		start, digitsOnly = i+1, true
	}
	return labels >= 2
}

// isoCountries are the ISO 3166-1 alpha-2 codes officially assigned,
// sorted, separated by one space.
const isoCountries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

// country splits a mapped country value: two ASCII letters are an ISO
// 3166-1 alpha-2 code (upper-cased; "UK" is read as GB), anything longer is
// a country name. ok is false for a two-letter value that is no code.
func country(s string) (code, name string, ok bool) {
	if len(s) != 2 {
		return "", s, true
	}
	a, b := upper(s[0]), upper(s[1])
	if a == 'U' && b == 'K' {
		return "GB", "", true
	}
	if a < 'A' || a > 'Z' || b < 'A' || b > 'Z' {
		return "", "", false
	}
	// Binary search: the codes are sorted, one every 3 bytes.
	lo, hi := 0, (len(isoCountries)+1)/3
	for lo < hi {
		mid := (lo + hi) / 2
		x, y := isoCountries[3*mid], isoCountries[3*mid+1]
		switch {
		case x == a && y == b:
			return isoCountries[3*mid : 3*mid+2], "", true
		case x < a || x == a && y < b:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return "", "", false
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// phone returns v as E.164 ("+" and 7-15 digits, no leading zero) after
// removing spaces, dashes, dots, slashes and parentheses; a leading "00"
// counts as "+". Numbers without a country prefix, with letters (such as an
// extension) or typed as numbers by the import are refused: the country
// cannot be guessed.
func phone(v any) (string, bool) {
	s, isString := v.(string)
	if !isString {
		return "", false
	}
	var b [20]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '+' && n == 0:
			if n == len(b) {
				return "", false
			}
			b[n] = c
			n++
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')' || c == '\t':
		default:
			return "", false
		}
	}
	out := b[:n]
	if len(out) > 2 && out[0] == '0' && out[1] == '0' {
		out = append([]byte{'+'}, out[2:]...)
	}
	if len(out) < 8 || len(out) > 16 || out[0] != '+' || out[1] == '0' {
		return "", false
	}
	return string(out), true
}

// birthdate returns v as YYYY-MM-DD: a date, or the date part of an
// ISO 8601 timestamp ("1990-04-01T00:00:00Z", "1990-04-01 00:00:00").
func birthdate(v any) (string, bool) {
	s := text(v)
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return "", false
	}
	y, e1 := strconv.Atoi(s[:4])
	m, e2 := strconv.Atoi(s[5:7])
	d, e3 := strconv.Atoi(s[8:])
	if e1 != nil || e2 != nil || e3 != nil || y < 1800 || m < 1 || m > 12 || d < 1 {
		return "", false
	}
	if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Day() != d {
		return "", false
	}
	return s, true
}

// gender returns m or f for common spellings: m, male, man, masculine;
// f, female, woman, feminine (any case). Other values are not sent.
func gender(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	for _, w := range [...]string{"m", "male", "man", "masculine"} {
		if strings.EqualFold(s, w) {
			return "m", true
		}
	}
	for _, w := range [...]string{"f", "female", "woman", "feminine"} {
		if strings.EqualFold(s, w) {
			return "f", true
		}
	}
	return "", false
}

// ParseStatus reads a consent attribute value as an e-mail channel status.
// Case, spaces, '-' and '_' are ignored:
//
//   - subscribed: subscribed, subscribe, opted in, opt-in, yes, y, true, 1,
//     and the boolean true or the number 1;
//   - unsubscribed: unsubscribed, unsubscribe, opted out, opt-out;
//   - nonSubscribed: nonSubscribed, not subscribed, no, n, false, 0, and the
//     boolean false or the number 0 (no consent given is not an opt-out).
//
// ok is false for anything else, which is treated as unknown.
func ParseStatus(v any) (omnisend.ChannelStatus, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return omnisend.StatusSubscribed, true
		}
		return omnisend.StatusNonSubscribed, true
	case int64:
		return statusWord(strconv.FormatInt(x, 10))
	case float64:
		return statusWord(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		return statusWord(x)
	}
	return "", false
}

func statusWord(s string) (omnisend.ChannelStatus, bool) {
	var b [24]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '_' || c == '\t':
			continue
		case n == len(b):
			return "", false
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b[n] = c
		n++
	}
	switch string(b[:n]) {
	case "subscribed", "subscribe", "optedin", "optin", "yes", "y", "true", "1":
		return omnisend.StatusSubscribed, true
	case "unsubscribed", "unsubscribe", "optedout", "optout":
		return omnisend.StatusUnsubscribed, true
	case "nonsubscribed", "notsubscribed", "no", "n", "false", "0":
		return omnisend.StatusNonSubscribed, true
	}
	return "", false
}

// statusDate reads when a consent status took effect: RFC 3339, or
// "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM:SS" or YYYY-MM-DD in UTC.
func statusDate(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
