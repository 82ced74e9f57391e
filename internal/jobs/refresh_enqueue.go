package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river/rivertype"
)

// EnqueueRefresh queues a system refresh now (as the schedule would): a
// started worker, in this process or another, works it.
func (c *Client) EnqueueRefresh(ctx context.Context) (*rivertype.JobRow, error) {
	res, err := c.river.Insert(ctx, SystemRefreshArgs{}, nil)
	if err != nil {
		return nil, fmt.Errorf("jobs: enqueue a system refresh: %w", err)
	}
	c.cfg.Logger.Info("jobs: system refresh enqueued", "job", res.Job.ID)
	return res.Job, nil
}
