package run

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEstimateETA(t *testing.T) {
	rates := Rates{General: 360, Tags: 54, Window: time.Minute}
	mine := Work{General: 180, Tags: 27}
	alone := EstimateETA(mine, nil, rates)
	require.Equal(t, time.Minute, alone.Alone, "half a window of each")
	require.Equal(t, alone.Alone, alone.WithAhead)
	// A bigger run ahead shares the budget until this one is done; a
	// smaller one only for its own requests.
	eta := EstimateETA(mine, []Work{{General: 1000, Tags: 0}, {General: 36, Tags: 54}}, rates)
	require.Equal(t, time.Minute+30*time.Second+6*time.Second+30*time.Second, eta.WithAhead)
}

func TestContactChanges(t *testing.T) {
	old := []byte(`{"Email":"a@x.io","FirstName":"Ann","City":"Brno","StatusDate":"0001-01-01T00:00:00Z","Tags":["a"],"CustomProperties":{"ltv":12}}`)
	cur := []byte(`{"Email":"a@x.io","FirstName":"Anna","StatusDate":"0001-01-01T00:00:00Z","Tags":["b"],"CustomProperties":{"ltv":12.5,"vip":true}}`)
	got, err := contactChanges(old, cur)
	require.NoError(t, err)
	require.Equal(t, []FieldChange{
		{Field: "city", Old: "Brno", New: ""},
		{Field: "custom.ltv", Old: "12", New: "12.5"},
		{Field: "custom.vip", Old: "", New: "true"},
		{Field: "first_name", Old: "Ann", New: "Anna"},
	}, got)
}
