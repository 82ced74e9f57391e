package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "user",
		Aliases: []string{"users"},
		Short:   "Manage the people who sign in to the web UI and API (admin)",
		Long: `Users sign in to the web UI and the API with an e-mail and a password. Each
has one role: admin (everything), contributor (segments, and exports on
connections open to contributors) or viewer (read only). The last admin
cannot be removed or demoted. The command line acts as a local admin (or,
with --as EMAIL, as that user with their role); its changes appear in the
audit log as "cli:<os user>@<host>".`,
	}
	cmd.AddCommand(newUserAddCmd(g), newUserListCmd(g), newUserRemoveCmd(g), newUserSetRoleCmd(g), newUserSetPasswordCmd(g))
	return cmd
}

func newUserAddCmd(g *globals) *cobra.Command {
	var role string
	var stdin bool
	cmd := &cobra.Command{
		Use:   "add EMAIL --role ROLE [--password-stdin]",
		Short: "Add a user (a generated password is printed once)",
		Long: `add creates a user with a role. The password is never a flag value (it
would land in your shell history): without --password-stdin a random one is
generated and printed once; with it, the first line of standard input is the
password (at least 12 characters).`,
		Example: `  segbridge user add ann@example.com --role admin
  printf '%s\n' "$PASSWORD" | segbridge user add bob@example.com --role viewer --password-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := user.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			password, generated, err := g.password(stdin)
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				u, err := a.Services.Users.Add(cmd.Context(), g.actor, args[0], password, r)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "added user %s (%s)\n", u.Email, u.Role)
				if generated {
					fmt.Fprintf(g.out, "password: %s\n(shown only this once)\n", password)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "the user's role: admin, contributor or viewer (required)")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newUserListCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users with their role",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			users, err := a.Users.List(cmd.Context())
			if err != nil {
				return err
			}
			if *output == "json" {
				if users == nil {
					users = []user.User{}
				}
				return writeJSON(g.out, users)
			}
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tCREATED")
			for _, u := range users {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, when(u.CreatedAt))
			}
			return tw.Flush()
		})
	}
	return cmd
}

func newUserRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove EMAIL",
		Short: "Remove a user; their sessions and API tokens stop working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd.Context(), func(a *app.App) error {
				u, err := a.Services.Users.Remove(cmd.Context(), g.actor, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "removed user %s\n", u.Email)
				return nil
			})
		},
	}
}

func newUserSetRoleCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "set-role EMAIL ROLE",
		Short: "Change a user's role (admin, contributor or viewer); it applies at once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := user.ParseRole(args[1])
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				u, was, err := a.Services.Users.SetRole(cmd.Context(), g.actor, args[0], r)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "user %s is now %s (was %s)\n", u.Email, u.Role, was)
				return nil
			})
		},
	}
}

func newUserSetPasswordCmd(g *globals) *cobra.Command {
	var stdin bool
	cmd := &cobra.Command{
		Use:   "set-password EMAIL [--password-stdin]",
		Short: "Set a new password (a generated one is printed once); signs the user out everywhere and revokes their API tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, generated, err := g.password(stdin)
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				u, err := a.Services.Users.SetPassword(cmd.Context(), g.actor, args[0], password)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "set a new password for %s; their sessions have ended and their API tokens are revoked\n", u.Email)
				if generated {
					fmt.Fprintf(g.out, "password: %s\n(shown only this once)\n", password)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

// password reads the password from the first line of standard input, or
// generates one (generated is then true). It is checked before anything
// is opened.
func (g *globals) password(fromStdin bool) (password string, generated bool, err error) {
	if !fromStdin {
		p, err := user.GeneratePassword()
		return p, true, err
	}
	line, err := bufio.NewReader(io.LimitReader(g.in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("--password-stdin: %w", err)
	}
	password = strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", false, errors.New("--password-stdin: standard input is empty; write the password on its first line")
	}
	if err := user.CheckPassword(password); err != nil {
		return "", false, fmt.Errorf("--password-stdin: %w", err)
	}
	return password, false, nil
}

// findUser looks a user up by e-mail or id, saying clearly when there is
// none.
func findUser(ctx context.Context, a *app.App, emailOrID string) (user.User, error) {
	u, err := a.Users.Get(ctx, emailOrID)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("no user %q (see: segbridge user list)", emailOrID)
	}
	return u, err
}
