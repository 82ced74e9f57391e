package omnisend

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWindowTurn(t *testing.T) {
	t.Parallel()
	a1, a2, b1 := Waiter{"a", 1}, Waiter{"a", 2}, Waiter{"b", 3}
	for _, tc := range []struct {
		name string
		w    Window
		me   Waiter
		want int
	}{
		{"alone", Window{Limit: 10, Used: map[string]int{"a": 9}, Waiters: []Waiter{a1}}, a1, 0},
		{"alone, not queued yet", Window{Limit: 10, Used: map[string]int{"a": 9}}, Waiter{"a", 1 << 62}, 0},
		{"fifo within a share", Window{Limit: 10, Used: map[string]int{"a": 3}, Waiters: []Waiter{a1, a2}}, a2, 1},
		{"fewer used goes first", Window{Limit: 10, Used: map[string]int{"a": 3, "b": 1}, Waiters: []Waiter{a1, a2, b1}}, a1, 1},
		{"the share behind is first", Window{Limit: 10, Used: map[string]int{"a": 3, "b": 1}, Waiters: []Waiter{a1, a2, b1}}, b1, 0},
		{"over its part, a busy share's rest is held back",
			Window{Limit: 10, Used: map[string]int{"a": 6, "b": 2}, InFlight: map[string]int{"b": 1}, Waiters: []Waiter{a1}}, a1, 3},
		{"an idle share holds nothing back",
			Window{Limit: 10, Used: map[string]int{"a": 6, "b": 2}, Waiters: []Waiter{a1}}, a1, 0},
		{"below its part, nothing held back",
			Window{Limit: 10, Used: map[string]int{"a": 4, "b": 2}, InFlight: map[string]int{"b": 1}, Waiters: []Waiter{a1}}, a1, 0},
		{"a waiting share's rest counts its waiters once",
			Window{Limit: 10, Used: map[string]int{"a": 6, "b": 2}, Waiters: []Waiter{a1, b1}}, a1, 1 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.w.Turn(tc.me))
		})
	}
}
