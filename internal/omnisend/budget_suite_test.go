package omnisend_test

import (
	"sync"
	"testing"

	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/budgettest"
)

// TestWindowBudgetConformance runs the rate budget suite on the in-process
// budget: every "instance" of one test is the same WindowBudget, as every
// client of one process shares one.
func TestWindowBudgetConformance(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	budgets := map[*testing.T]*omnisend.WindowBudget{}
	budgettest.Run(t, func(t *testing.T, cfg omnisend.WindowBudgetConfig) omnisend.RateBudget {
		mu.Lock()
		defer mu.Unlock()
		if budgets[t] == nil {
			budgets[t] = omnisend.NewWindowBudget(cfg, nil)
		}
		return budgets[t]
	})
}
