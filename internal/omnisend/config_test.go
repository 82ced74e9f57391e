package omnisend

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigWithDefaults(t *testing.T) {
	t.Parallel()
	cfg := Config{APIKey: NewSecret("k"), BaseURL: "http://localhost:1234/"}.WithDefaults()
	require.Equal(t, "http://localhost:1234", cfg.BaseURL)
	require.Equal(t, Dialect20260315, cfg.Dialect)
	require.Equal(t, 10*time.Second, cfg.Timeout)
	require.Equal(t, 0, cfg.Retry.MaxAttempts, "only the outage limit bounds attempts")
	require.Equal(t, DefaultOutageLimit, cfg.Retry.OutageLimit)
	require.NotNil(t, cfg.Budget)
	require.NotNil(t, cfg.Logger)
	require.NotNil(t, cfg.Clock)
	require.NotNil(t, cfg.Rand)
	require.NoError(t, cfg.Validate())
	require.Equal(t, "https://api.omnisend.com", Config{}.WithDefaults().BaseURL)
}

func TestConfigValidateNamesField(t *testing.T) {
	t.Parallel()
	ok := Config{APIKey: NewSecret("k")}.WithDefaults()
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"relative url", func(c *Config) { c.BaseURL = "/api" }, "BaseURL"},
		{"ftp", func(c *Config) { c.BaseURL = "ftp://x" }, "BaseURL"},
		{"userinfo", func(c *Config) { c.BaseURL = "https://u:p@x" }, "BaseURL"},
		{"dialect", func(c *Config) { c.Dialect = "v5" }, "Dialect"},
		{"no key", func(c *Config) { c.APIKey = Secret{} }, "APIKey"},
		{"blank key", func(c *Config) { c.APIKey = NewSecret("   ") }, "APIKey"},
		{"multiline key", func(c *Config) { c.APIKey = NewSecret("a\nb") }, "APIKey"},
		{"timeout", func(c *Config) { c.Timeout = -1 }, "Timeout"},
		{"attempts", func(c *Config) { c.Retry.MaxAttempts = -1 }, "Retry.MaxAttempts"},
		{"max delay", func(c *Config) { c.Retry.MaxDelay = time.Millisecond }, "Retry.MaxDelay"},
		{"outage limit", func(c *Config) { c.Retry.OutageLimit = -time.Second }, "Retry.OutageLimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ok
			tt.edit(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.field+":")
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := New(Config{})
	require.ErrorContains(t, err, "APIKey: required")
}

func TestWindowBudgetConfigValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, WindowBudgetConfig{}.WithDefaults().Validate())
	bad := WindowBudgetConfig{Tags: Limit{Requests: -1}}.WithDefaults()
	require.ErrorContains(t, bad.Validate(), "Tags:")
	bad = WindowBudgetConfig{Slowdown: 2}.WithDefaults()
	require.ErrorContains(t, bad.Validate(), "Slowdown:")
	d := WindowBudgetConfig{}.WithDefaults()
	require.Equal(t, Limit{360, time.Minute}, d.General)
	require.Equal(t, Limit{54, time.Minute}, d.Tags)
}
