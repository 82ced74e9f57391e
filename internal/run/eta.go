package run

import "time"

// Work is a run's Omnisend requests by rate budget.
type Work struct {
	General int `json:"general"`
	Tags    int `json:"tags"`
}

// Rates are a brand's rate budget: requests per window, per class.
type Rates struct {
	General int           `json:"general"`
	Tags    int           `json:"tags"`
	Window  time.Duration `json:"-"`
}

// ETA estimates how long a run needs at its brand's rate budget.
type ETA struct {
	// Alone is the run's requests at the full budget: the general ones
	// first (send, confirm), then the tag routes' (tag, untag).
	Alone time.Duration `json:"-"`
	// WithAhead also counts the brand's other work (Ahead): every export
	// is one fair share of the brand's budget, so while n runs have
	// requests to make each gets 1/n of it, and a run is done once it made
	// its own W requests and each other run min(its, W) (processor
	// sharing: Σ min(Wⱼ, W) / rate, per class).
	WithAhead time.Duration `json:"-"`
}

// EstimateETA estimates mine's time at rates, alone and sharing the
// budget with ahead.
func EstimateETA(mine Work, ahead []Work, rates Rates) ETA {
	at := func(n, perWindow int) time.Duration {
		if n <= 0 || perWindow <= 0 {
			return 0
		}
		return time.Duration(float64(rates.Window) * float64(n) / float64(perWindow))
	}
	g, t := mine.General, mine.Tags
	for _, w := range ahead {
		g += min(w.General, mine.General)
		t += min(w.Tags, mine.Tags)
	}
	return ETA{
		Alone:     at(mine.General, rates.General) + at(mine.Tags, rates.Tags),
		WithAhead: at(g, rates.General) + at(t, rates.Tags),
	}
}
