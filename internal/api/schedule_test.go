package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/app"
	"segbridge/internal/jobs"
	"segbridge/internal/server"
	"segbridge/internal/user"
)

// clock is a settable clock for the tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestScheduleChangeFollowed: a schedule stored through PUT
// /system/refresh is followed by a running scheduler without a restart.
// The clock is injected: the configured schedule (02:00) does not fire at
// 10:16; the stored one (10:15) does, once.
func TestScheduleChangeFollowed(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}
		a, err := app.Open(ctx, app.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), Now: clk.Now, PasswordCost: 4,
			Worker: app.WorkerConfig{CronCheckInterval: 20 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond}})
		require.NoError(t, err)
		t.Cleanup(func() { a.Close() })
		srv, err := server.New(server.Config{App: a, Now: clk.Now})
		require.NoError(t, err)
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(hs.Close)
		u, err := a.Users.Add(ctx, "admin@example.com", password, user.RoleAdmin)
		require.NoError(t, err)
		_, tok, err := a.Users.CreateToken(ctx, user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "token"}, "tests", 0)
		require.NoError(t, err)
		f := &fixture{t: t, ctx: ctx, a: a, srv: hs, tokens: map[string]string{"admin": tok}}

		// The configured schedule has not fired since the client opened.
		clk.Set(time.Date(2026, 1, 5, 10, 10, 0, 0, time.UTC))
		queued, err := a.Jobs.CheckRefresh(ctx)
		require.NoError(t, err)
		require.False(t, queued)

		require.NoError(t, a.Jobs.Start(ctx, jobs.StartOptions{Periodic: true}))
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			require.NoError(t, a.Jobs.Stop(stop))
		})

		res := f.do("admin", request{method: http.MethodPut, path: "/system/refresh",
			body: map[string]string{"schedule": "15 10 * * *", "time_zone": "UTC"}})
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		var got map[string]any
		require.NoError(t, json.Unmarshal(res.body, &got))
		require.Equal(t, "15 10 * * *", got["schedule"])
		require.Equal(t, true, got["stored"])
		require.Equal(t, "2026-01-05T10:15:00Z", got["next_run"])

		// 10:16: the running scheduler reads the stored schedule and
		// queues the 10:15 refresh, which a worker runs.
		clk.Set(time.Date(2026, 1, 5, 10, 16, 0, 0, time.UTC))
		require.Eventually(t, func() bool {
			rs, err := a.Store.ListRefreshes(ctx, 5)
			require.NoError(t, err)
			return len(rs) == 1
		}, 60*time.Second, 20*time.Millisecond)
		rs, err := a.Store.GetRefreshSchedule(ctx)
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 1, 5, 10, 15, 0, 0, time.UTC), rs.LastFiredAt.UTC())
		queued, err = a.Jobs.CheckRefresh(ctx)
		require.NoError(t, err)
		require.False(t, queued, "one firing queues one refresh")

		// The next day's firing queues the next one.
		clk.Set(time.Date(2026, 1, 6, 10, 15, 0, 0, time.UTC))
		require.Eventually(t, func() bool {
			rs, err := a.Store.ListRefreshes(ctx, 5)
			require.NoError(t, err)
			return len(rs) == 2
		}, 60*time.Second, 20*time.Millisecond)
	})
}
