package demodata

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// recentEmails is how many recent e-mail addresses are kept as candidates
// for deliberate duplicates.
const recentEmails = 4096

// generator fills one profile row at a time from a seeded PCG source.
type generator struct {
	rng  *rand.Rand
	cat  *catalog
	asOf int64 // the "now" of the data set, Unix seconds

	row        [numCols][]byte
	recent     [][]byte // ring of recent well-formed e-mail addresses
	nextRecent int
}

func newGenerator(seed int64) *generator {
	return &generator{
		rng:    rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9E3779B97F4A7C15)),
		cat:    newCatalog(),
		asOf:   time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC).Unix(),
		recent: make([][]byte, 0, recentEmails),
	}
}

// fill generates profile number i (1-based) into g.row.
func (g *generator) fill(i int) {
	for c := range g.row {
		g.row[c] = g.row[c][:0]
	}
	co := g.cat.pickCountry(g.rng.IntN(g.cat.totalWeight()))
	ci := &co.cities[g.rng.IntN(len(co.cities))]
	first, last := g.person(co.locale)

	g.row[colID] = appendID(g.row[colID], i)
	g.row[colFirstName] = append(g.row[colFirstName], first.display...)
	g.row[colLastName] = append(g.row[colLastName], last.display...)
	g.email(i, first, last)
	g.phone(co, ci)
	g.address(co)
	g.row[colCity] = append(g.row[colCity], ci.name...)
	g.row[colState] = append(g.row[colState], ci.state...)
	g.row[colPostalCode] = g.postal(g.row[colPostalCode], ci.postal, co.postalLetters)
	g.row[colCountry] = append(g.row[colCountry], co.name...)
	g.row[colCountryCode] = append(g.row[colCountryCode], co.code...)
	g.activity()
}

// appendID appends "C" and i zero-padded to at least 7 digits.
func appendID(dst []byte, i int) []byte {
	dst = append(dst, 'C')
	for w := 1_000_000; w > 1 && i < w; w /= 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(i), 10)
}

// person picks a first and last name of one gender from l.
func (g *generator) person(l *locale) (first, last name) {
	female := g.rng.IntN(2) == 0
	k := g.rng.IntN(len(l.lastMale))
	last = l.lastMale[k]
	if female {
		first = l.femaleFirst[g.rng.IntN(len(l.femaleFirst))]
		if l.lastFemale != nil {
			last = l.lastFemale[k]
		}
		return first, last
	}
	return l.maleFirst[g.rng.IntN(len(l.maleFirst))], last
}

// email writes the e-mail address: well-formed and unique (profile number
// as suffix) for ~96%, ~1% invalid, ~1% a copy of a recent profile's
// address, ~2% mixed case.
func (g *generator) email(i int, first, last name) {
	kind := g.rng.IntN(100)
	if kind == 1 && len(g.recent) > 0 {
		dup := g.recent[g.rng.IntN(len(g.recent))]
		g.row[colEmail] = append(g.row[colEmail], dup...)
		return
	}
	e := g.row[colEmail]
	switch p := g.rng.IntN(20); {
	case p < 8:
		e = append(append(append(e, first.ascii...), '.'), last.ascii...)
	case p < 11:
		e = append(append(e, first.ascii[0]), last.ascii...)
	case p < 14:
		e = append(append(append(e, first.ascii...), '_'), last.ascii...)
	case p < 17:
		e = append(append(append(e, last.ascii...), '.'), first.ascii...)
	default:
		e = append(e, first.ascii...)
	}
	e = strconv.AppendInt(e, int64(i), 10)
	e = append(append(e, '@'), g.cat.domains[g.rng.IntN(len(g.cat.domains))]...)
	switch kind {
	case 0:
		e = spoilEmail(e, g.rng.IntN(3))
	case 2, 3:
		e = mixCase(e)
	default:
		g.remember(e)
	}
	g.row[colEmail] = e
}

// remember keeps a copy of e for later duplicates.
func (g *generator) remember(e []byte) {
	if len(g.recent) < recentEmails {
		g.recent = append(g.recent, append([]byte(nil), e...))
		return
	}
	g.recent[g.nextRecent] = append(g.recent[g.nextRecent][:0], e...)
	g.nextRecent = (g.nextRecent + 1) % recentEmails
}

// phone writes an E.164 number (mobile, or the city's area code in North
// America); ~3% of profiles have none.
func (g *generator) phone(co *country, ci *city) {
	if g.rng.IntN(100) < 3 {
		return
	}
	p := append(g.row[colPhone], co.dial...)
	digits := co.subscriber
	if ci.area != "" {
		p = append(append(p, ci.area...), byte('2'+g.rng.IntN(8)))
		digits--
	} else {
		p = append(p, co.mobile[g.rng.IntN(len(co.mobile))]...)
	}
	for range digits {
		p = append(p, byte('0'+g.rng.IntN(10)))
	}
	g.row[colPhone] = p
}

// address writes a street address in the country's style, sometimes with
// a flat or unit ("12 Main Street, Apt 4").
func (g *generator) address(co *country) {
	a := g.row[colAddress]
	street := co.streets[g.rng.IntN(len(co.streets))]
	number := int64(1 + g.rng.IntN(250))
	if co.numberFirst {
		a = append(append(strconv.AppendInt(a, number, 10), ' '), street...)
	} else {
		a = strconv.AppendInt(append(append(a, street...), ' '), number, 10)
	}
	if co.unit != "" && g.rng.IntN(10) == 0 {
		a = append(append(append(a, ", "...), co.unit...), ' ')
		a = strconv.AppendInt(a, int64(1+g.rng.IntN(40)), 10)
	}
	g.row[colAddress] = a
}

// postal fills a postal code pattern: '#' a digit, 'A' a letter.
func (g *generator) postal(dst []byte, pattern, letters string) []byte {
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '#':
			dst = append(dst, byte('0'+g.rng.IntN(10)))
		case 'A':
			dst = append(dst, letters[g.rng.IntN(len(letters))])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// activity writes consent, orders, lifetime value and dates. Orders are
// skewed low (a quarter never ordered); the lifetime value is orders times
// a per-customer average order value with some noise.
func (g *generator) activity() {
	const day = 24 * 60 * 60
	created := g.asOf - int64(1+g.rng.IntN(6*365))*day - g.rng.Int64N(day)
	span := g.asOf - created

	switch r := g.rng.IntN(100); {
	case r < 55:
		g.row[colEmailConsent] = append(g.row[colEmailConsent], "subscribed"...)
	case r < 70:
		g.row[colEmailConsent] = append(g.row[colEmailConsent], "unsubscribed"...)
	default:
		g.row[colEmailConsent] = append(g.row[colEmailConsent], "nonSubscribed"...)
	}
	g.row[colEmailConsentDate] = appendTimestamp(g.row[colEmailConsentDate], created+g.rng.Int64N(span))

	orders := 0
	if g.rng.IntN(4) != 0 {
		orders = min(60, 1+int(math.Floor(g.rng.ExpFloat64()*4)))
	}
	cents := 0
	if orders > 0 {
		avg := 1500 + g.rng.IntN(12000)
		cents = max(0, orders*avg+g.rng.IntN(orders*600+1)-orders*300)
		g.row[colLastOrderDate] = appendDate(g.row[colLastOrderDate], created+g.rng.Int64N(span))
	}
	g.row[colOrders] = strconv.AppendInt(g.row[colOrders], int64(orders), 10)
	g.row[colLifetimeValue] = appendCents(g.row[colLifetimeValue], cents)
	g.row[colCreated] = appendDate(g.row[colCreated], created)
}
