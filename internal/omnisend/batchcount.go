package omnisend

// CountBatches says, without sending anything, how many POST /batches
// SubmitContacts makes for contacts when Omnisend takes every batch: runs
// of the dialect's item count, split further by MaxBatchBytes exactly as
// SubmitContacts splits them. tooBig counts the contacts it would refuse
// unsent as too large for any batch. A preview of a run counts its
// requests with it.
func (c *Client) CountBatches(contacts []Contact) (batches, tooBig int, err error) {
	size := c.cfg.Dialect.MaxBatchItems()
	for start := 0; start < len(contacts); start += size {
		items, err := c.encodeItems(contacts[start:min(start+size, len(contacts))])
		if err != nil {
			return batches, tooBig, err
		}
		runs, big := splitBySize(items, c.cfg.MaxBatchBytes)
		batches += len(runs)
		tooBig += len(big)
	}
	return batches, tooBig, nil
}
