package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/service"
	"segbridge/internal/user"
)

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token",
		Aliases: []string{"tokens"},
		Short:   "List, create and revoke users' API tokens (admin)",
		Long: `An API token lets a program call the HTTP API as its owner, with the owner's
role (Authorization: Bearer sbt_...). Users make their own in the web UI (My
tokens) or with POST /api/v1/tokens; here an admin sees and revokes anyone's.
A token stops working when it is revoked, when it expires, when its owner's
password changes and when its owner is removed. The command line acts as a
local admin (or, with --as EMAIL, as that user: then only their own
tokens); its changes appear in the audit log as "cli:<os user>@<host>".`,
	}
	cmd.AddCommand(newTokenListCmd(g), newTokenCreateCmd(g), newTokenRevokeCmd(g))
	return cmd
}

func newTokenListCmd(g *globals) *cobra.Command {
	var owner string
	cmd := &cobra.Command{
		Use:     "list [--user EMAIL]",
		Short:   "List every user's API tokens, or one user's (never the secrets); non-admins (--as) see only their own",
		Example: "  segbridge token list\n  segbridge token list --user ann@example.com --output json",
		Args:    cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.Flags().StringVar(&owner, "user", "", "only this user's tokens (e-mail or id)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return g.withApp(cmd.Context(), func(a *app.App) error {
			var ts []user.Token
			var err error
			if !g.actor.IsAdmin() && owner == "" {
				// A non-admin (--as) lists their own tokens only.
				owner = strconv.FormatInt(g.actor.UserID, 10)
			}
			if owner != "" {
				u, ferr := findUser(cmd.Context(), a, owner)
				if ferr != nil {
					return ferr
				}
				if !g.actor.IsAdmin() && u.ID != g.actor.UserID {
					return fmt.Errorf("only admins may list other users' tokens; you (%s) are a %s", g.actor.Email, g.actor.Role)
				}
				ts, err = a.Users.ListTokens(cmd.Context(), user.Principal{UserID: u.ID})
			} else {
				ts, err = a.Users.ListAllTokens(cmd.Context())
			}
			if err != nil {
				return err
			}
			if *output == "json" {
				if ts == nil {
					ts = []user.Token{}
				}
				return writeJSON(g.out, ts)
			}
			now := a.Now()
			tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tOWNER\tNAME\tTOKEN\tCREATED\tLAST USED\tEXPIRES")
			for _, t := range ts {
				fmt.Fprintf(tw, "%d\t%s\t%s\t…%s\t%s\t%s\t%s\n", t.ID, t.OwnerEmail, t.Name, t.Last4,
					when(t.CreatedAt), when(t.LastUsedAt), expiry(t, now))
			}
			return tw.Flush()
		})
	}
	return cmd
}

// expiry is a token's EXPIRES column.
func expiry(t user.Token, now time.Time) string {
	switch {
	case t.ExpiresAt.IsZero():
		return "never"
	case t.Expired(now):
		return "expired " + when(t.ExpiresAt)
	}
	return when(t.ExpiresAt)
}

func newTokenCreateCmd(g *globals) *cobra.Command {
	var owner string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create NAME --user EMAIL [--expires 720h]",
		Short: "Create an API token for a user; its secret is printed once",
		Long: `create makes an API token that acts as --user, with that user's role. The
secret is printed once, on standard output, and stored only hashed.`,
		Example: `  segbridge token create "nightly sync" --user ann@example.com --expires 720h`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := user.CheckTokenTTL(expires); err != nil {
				return fmt.Errorf("--expires: %w", err)
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				t, plain, err := a.Services.Users.CreateToken(cmd.Context(), g.actor, service.TokenInput{Owner: owner, Name: args[0], TTL: expires})
				if err != nil {
					return err
				}
				u, err := findUser(cmd.Context(), a, strconv.FormatInt(t.OwnerID, 10))
				if err != nil {
					return err
				}
				fmt.Fprintf(g.errOut, "created token %d %q for %s (%s), expires: %s; the secret, shown only this once:\n",
					t.ID, t.Name, u.Email, u.Role, expiry(t, a.Now()))
				fmt.Fprintln(g.out, plain)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&owner, "user", "", "the user the token acts as, e-mail or id (required)")
	cmd.Flags().DurationVar(&expires, "expires", 0, "lifetime, such as 720h (30 days) or 8760h (a year); 0: never expires")
	_ = cmd.MarkFlagRequired("user")
	return cmd
}

func newTokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke an API token (see: segbridge token list); programs using it are refused at once",
		Example: "  segbridge token revoke 12",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("token id %q: want the number in the ID column of segbridge token list", args[0])
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				t, err := a.Services.Users.RevokeToken(cmd.Context(), g.actor, id)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "revoked token %d %q of %s\n", t.ID, t.Name, t.OwnerEmail)
				return nil
			})
		},
	}
}
