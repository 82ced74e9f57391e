package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/service"
)

// TestArchitectureShowsThePermissionTable keeps docs/architecture.md's
// permission table equal to the one the services consult.
func TestArchitectureShowsThePermissionTable(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	require.NoError(t, err)
	table := service.PermissionTable()
	require.True(t, strings.Contains(string(doc), table),
		"docs/architecture.md must show the permission table as service.PermissionTable renders it:\n%s", table)
}
