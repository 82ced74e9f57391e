package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river/riverdriver"
)

// JobCounts returns how many jobs are in each state, for the queue-depth
// metric.
func (c *Client) JobCounts(ctx context.Context) (map[string]int, error) {
	counts, err := c.eng.exec.JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		return nil, fmt.Errorf("jobs: count jobs by state: %w", err)
	}
	out := make(map[string]int, len(counts))
	for state, n := range counts {
		out[string(state)] = n
	}
	return out, nil
}
