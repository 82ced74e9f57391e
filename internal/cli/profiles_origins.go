package cli

import (
	"context"
	"errors"
	"time"

	"segbridge/internal/app"
	"segbridge/internal/source"
	"segbridge/internal/store"
)

// handImported names the origin of attributes imported by hand.
const handImported = "import by hand"

// profileOrigins returns a unified profile's attribute origins and the
// names of their sources (nil, nil for a profile imported by hand).
func profileOrigins(ctx context.Context, a *app.App, id string) (source.Origins, map[int64]string, error) {
	origins, err := a.Store.GetProfileOrigins(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	names, err := sourceNames(ctx, a.Store)
	return origins, names, err
}

// sourceNames maps source ids to names (0: imported by hand; a removed
// source reads "a removed source").
func sourceNames(ctx context.Context, st store.Store) (map[int64]string, error) {
	list, err := st.ListSources(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{0: handImported}
	for _, s := range list {
		names[s.ID] = "source " + s.Name
	}
	return names, nil
}

// originJSON is an attribute's origin as --output json shows it.
type originJSON struct {
	Source   string    `json:"source"`
	SourceID int64     `json:"source_id"`
	At       time.Time `json:"arrived_at"`
}

func originsJSON(o source.Origins, names map[int64]string) map[string]originJSON {
	out := make(map[string]originJSON, len(o))
	for k, v := range o {
		n, ok := names[v.Source]
		if !ok {
			n = "a removed source"
		}
		out[k] = originJSON{Source: n, SourceID: v.Source, At: v.At}
	}
	return out
}

func originName(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "a removed source"
}
