package run

import "hash/maphash"

// wantedSet is the set of e-mails a plan has planned, kept as 128-bit
// fingerprints (two independently seeded maphash values): 16 bytes an
// e-mail instead of the string, so a million members take about 30 MB. Two
// different e-mails share a fingerprint with a probability of about n²/2¹²⁹
// (10⁻²⁷ for a million), and the seeds are random per plan, so no input can
// be crafted to collide.
type wantedSet struct {
	s1, s2 maphash.Seed
	m      map[[2]uint64]struct{}
}

func newWantedSet() wantedSet {
	return wantedSet{s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), m: map[[2]uint64]struct{}{}}
}

func (w wantedSet) key(email string) [2]uint64 {
	return [2]uint64{maphash.String(w.s1, email), maphash.String(w.s2, email)}
}

// add adds email and reports whether it was new.
func (w wantedSet) add(email string) bool {
	k := w.key(email)
	if _, ok := w.m[k]; ok {
		return false
	}
	w.m[k] = struct{}{}
	return true
}

func (w wantedSet) has(email string) bool {
	_, ok := w.m[w.key(email)]
	return ok
}
