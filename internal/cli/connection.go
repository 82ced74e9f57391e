package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"segbridge/internal/app"
	"segbridge/internal/connection"
	"segbridge/internal/omnisend"
	"segbridge/internal/service"
)

// maxKeyBytes bounds how much is read from a key file or stdin.
const maxKeyBytes = 4096

func newConnectionCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "connection",
		Aliases: []string{"connections"},
		Short:   "Connect Omnisend accounts (admin)",
		Long: `A connection links segbridge to one Omnisend brand through an API key.
Creating one checks the key against Omnisend (it must be able to read and
write contacts) and records your consent to the privacy and compliance
notice. The key is stored encrypted under the master key
(SEGBRIDGE_MASTER_KEY, or master.key in --data-dir) and only its last 4
characters are ever shown.`,
	}
	cmd.AddCommand(newConnectionCreateCmd(g), newConnectionListCmd(g), newConnectionShowCmd(g),
		newConnectionUpdateCmd(g), newConnectionCheckCmd(g), newConnectionRemoveCmd(g), newConnectionSyncCmd(g))
	return cmd
}

// connectionFlags are the flags of `connection create`.
type connectionFlags struct {
	keyFile, keyEnv     string
	keyStdin, agree     bool
	consentBy, access   string
	exportUser, dialect string
	tagging             string
	baseURL             string
}

func newConnectionCreateCmd(g *globals) *cobra.Command {
	f := &connectionFlags{}
	cmd := &cobra.Command{
		Use:   "create NAME (--api-key-file FILE | --api-key-env VAR | --api-key-stdin) --export-user EMAIL --agree-to-notice",
		Short: "Check an Omnisend API key and save it as a connection",
		Long: `create checks the API key against Omnisend, shows the brand it belongs to and
only then saves the connection. The key is never a flag value (it would land
in your shell history): read it from a file, an environment variable or
standard input. Run without --agree-to-notice to read the notice.`,
		Example: `  segbridge connection create "Main shop" --api-key-file ~/omnisend.key \
      --export-user admin@example.com --agree-to-notice
  OMNISEND_KEY=... segbridge connection create Sandbox --api-key-env OMNISEND_KEY \
      --base-url http://127.0.0.1:8089 --export-user admin@example.com --agree-to-notice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := f.input(g, args[0])
			if err != nil {
				return err
			}
			return g.withApp(cmd.Context(), func(a *app.App) error {
				c, err := a.Services.Connections.Create(cmd.Context(), g.actor, in)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.out, "connected to Omnisend brand %s\nsaved connection %q: key …%s, %s, export user %s\n",
					brandLabel(c), c.Name, c.KeyLast4, accessText(c.Access), c.ExportUser)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.keyFile, "api-key-file", "", "read the Omnisend API key from this file")
	fl.StringVar(&f.keyEnv, "api-key-env", "", "read the Omnisend API key from this environment variable")
	fl.BoolVar(&f.keyStdin, "api-key-stdin", false, "read the Omnisend API key from standard input")
	fl.BoolVar(&f.agree, "agree-to-notice", false, "agree to the privacy and compliance notice (version "+connection.NoticeVersion+")")
	fl.StringVar(&f.consentBy, "consent-by", "", "who agrees to the notice (default: $USER)")
	fl.StringVar(&f.access, "access", string(connection.AccessAdmins), "who may build exports on it: admins or contributors")
	fl.StringVar(&f.exportUser, "export-user", "", "e-mail address of the admin scheduled exports run as: an existing segbridge admin (see: segbridge user add; required)")
	fl.StringVar(&f.dialect, "dialect", string(omnisend.Dialect20260315), "Omnisend API dialect: 2026-03-15 or v3")
	fl.StringVar(&f.baseURL, "base-url", omnisend.DefaultBaseURL, "Omnisend API root (set it for a sandbox)")
	fl.StringVar(&f.tagging, "tagging", string(connection.TaggingUpsert),
		"how exports tag contacts: upsert (tags sent on the upsert) or endpoints (added through the tag endpoints, so merchant tags survive an upsert that replaces tags; 2026-03-15 only)")
	cmd.MarkFlagsMutuallyExclusive("api-key-file", "api-key-env", "api-key-stdin")
	cmd.MarkFlagsOneRequired("api-key-file", "api-key-env", "api-key-stdin")
	return cmd
}

// input reads the new connection from the flags, before anything is
// opened or sent: the notice must be agreed to and the key read; the
// service checks the rest.
func (f *connectionFlags) input(g *globals, name string) (service.ConnectionInput, error) {
	if !f.agree {
		fmt.Fprintf(g.errOut, "%s\n\n", connection.NoticeText)
		return service.ConnectionInput{}, fmt.Errorf("%w: read the notice above, then pass --agree-to-notice", connection.ErrConsentRequired)
	}
	if _, err := connection.ParseAccess(f.access); err != nil {
		return service.ConnectionInput{}, fmt.Errorf("--access: %w", err)
	}
	by := firstNonEmpty(f.consentBy, g.getenv("USER"))
	if by == "" {
		return service.ConnectionInput{}, errors.New("--consent-by: say who agrees to the notice ($USER is not set)")
	}
	key, err := f.readKey(g)
	if err != nil {
		return service.ConnectionInput{}, err
	}
	return service.ConnectionInput{
		Name: name, Access: f.access, APIKey: omnisend.NewSecret(key), Dialect: f.dialect,
		BaseURL: f.baseURL, ExportUser: f.exportUser, Tagging: f.tagging, Agree: true, ConsentBy: by,
	}, nil
}

// readKey reads the key from the one source given. Errors never show it.
func (f *connectionFlags) readKey(g *globals) (string, error) {
	switch {
	case f.keyEnv != "":
		k := g.getenv(f.keyEnv)
		if strings.TrimSpace(k) == "" {
			return "", fmt.Errorf("--api-key-env: environment variable %s is empty or not set", f.keyEnv)
		}
		return k, nil
	case f.keyFile != "":
		fh, err := os.Open(f.keyFile)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		defer fh.Close()
		return readKeyFrom(fh, "--api-key-file "+f.keyFile)
	default:
		return readKeyFrom(g.in, "--api-key-stdin")
	}
}

func readKeyFrom(r io.Reader, what string) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxKeyBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if len(raw) > maxKeyBytes {
		return "", fmt.Errorf("%s: more than %d bytes; that is not an API key", what, maxKeyBytes)
	}
	k := strings.TrimSpace(strings.TrimPrefix(string(raw), "\uFEFF"))
	if k == "" {
		return "", fmt.Errorf("%s: no API key in it", what)
	}
	return k, nil
}

func accessText(a connection.Access) string {
	if a == connection.AccessContributors {
		return "admins and contributors may use it"
	}
	return "admins only"
}

// findConnection looks a connection up by name or id with a helpful error.
func findConnection(cmd *cobra.Command, a *app.App, name string) (connection.Connection, error) {
	return a.Services.Connections.Get(cmd.Context(), name)
}
