package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	osuser "os/user"

	"segbridge/internal/app"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// operator names the person at the command line: "<os user>@<host>".
func (g *globals) operator() string {
	name := g.getenv("USER")
	if u, err := osuser.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return name + "@" + host
}

// resolveActor sets who the command acts as: the local operator, an admin
// named "cli:<os user>@<host>" in the audit log, or the user --as names,
// with that user's role.
func (g *globals) resolveActor(ctx context.Context, a *app.App) error {
	if g.as == "" {
		g.actor = user.Principal{Role: user.RoleAdmin, Via: "cli", Actor: "cli:" + g.operator()}
		return nil
	}
	u, err := a.Users.Get(ctx, g.as)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("--as %q: no such user (see: segbridge user list)", g.as)
		}
		return fmt.Errorf("--as %q: %w", g.as, err)
	}
	g.actor = user.Principal{UserID: u.ID, Email: u.Email, Role: u.Role, Via: "cli"}
	return nil
}
