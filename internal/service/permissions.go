package service

import (
	"fmt"
	"slices"
	"strings"

	"segbridge/internal/user"
)

// Action is a use case that changes state, named as its audit entries are.
type Action string

// The state-changing use cases. Every one of them is in the permission
// table, and every service method that performs one consults it.
const (
	SegmentCreate  Action = "segment.create"
	SegmentUpdate  Action = "segment.update"
	SegmentDelete  Action = "segment.delete"
	SegmentRefresh Action = "segment.refresh"

	ExportCreate Action = "export.create"
	ExportUpdate Action = "export.update"
	ExportDelete Action = "export.delete"
	ExportVerify Action = "export.verify"
	// ExportPreview previews a run (a dry run): it changes nothing, so it
	// records no audit entry, but whoever may run the export may preview
	// it.
	ExportPreview Action = "export.preview"
	RunStart      Action = "run.start"
	RunCancel     Action = "run.cancel"
	// RunApprove and RunDiscard decide on the untags the removal brake
	// held: whoever may run the export may.
	RunApprove Action = "run.approve"
	RunDiscard Action = "run.discard"
	// RunRetry starts a run of an ended run's export that sends its
	// failed contacts again: whoever may run the export may.
	RunRetry Action = "run.retry"

	ConnectionCreate Action = "connection.create"
	ConnectionUpdate Action = "connection.update"
	ConnectionCheck  Action = "connection.check"
	ConnectionRemove Action = "connection.remove"
	ConnectionSync   Action = "connection.sync_unsubscribes"

	SourceCreate Action = "source.create"
	SourceUpdate Action = "source.update"
	SourceRemove Action = "source.remove"
	SourceTest   Action = "source.test"
	SourceRun    Action = "source.run"

	ProfilesImport Action = "profiles.import"
	SystemRefresh  Action = "system.refresh"
	SystemSchedule Action = "system.schedule"
	SystemRelease  Action = "system.release"
	SystemDiscard  Action = "system.discard"

	UserAdd         Action = "user.add"
	UserRemove      Action = "user.remove"
	UserSetRole     Action = "user.set_role"
	UserSetPassword Action = "user.set_password"
	TokenCreate     Action = "token.create"
	TokenRevoke     Action = "token.revoke"

	NotifyChannelCreate Action = "notify.channel.create"
	NotifyChannelRemove Action = "notify.channel.remove"
	NotifyChannelTest   Action = "notify.channel.test"
	NotifyRuleCreate    Action = "notify.rule.create"
	NotifyRuleRemove    Action = "notify.rule.remove"
)

// Scope is the check a permission makes on its subject, beyond the role.
type Scope int

const (
	// ScopeNone: the role decides alone.
	ScopeNone Scope = iota
	// ScopeConnections: the principal may use every connection the
	// subject sends to (an export's connection; for a segment, the
	// connection of every export that sends it). Admins may use every
	// connection, contributors those whose access allows contributors.
	ScopeConnections
	// ScopeOwn: a non-admin may act only on what is its own (its token,
	// its password).
	ScopeOwn
)

// Permission is one row of the permission table.
type Permission struct {
	Action Action
	// Roles may perform the action (subject to Scope).
	Roles []user.Role
	Scope Scope
}

var (
	adminsOnly = []user.Role{user.RoleAdmin}
	writers    = []user.Role{user.RoleAdmin, user.RoleContributor}
	everyone   = []user.Role{user.RoleAdmin, user.RoleContributor, user.RoleViewer}
)

// permissions is the one permission table: every service consults it
// through allow, and docs/architecture.md shows it (Permissions renders
// it for the docs test).
var permissions = []Permission{
	{SegmentCreate, writers, ScopeNone},
	{SegmentUpdate, writers, ScopeConnections},
	{SegmentDelete, writers, ScopeConnections},
	{SegmentRefresh, writers, ScopeConnections},

	{ExportCreate, writers, ScopeConnections},
	{ExportUpdate, writers, ScopeConnections},
	{ExportDelete, writers, ScopeConnections},
	{ExportVerify, writers, ScopeConnections},
	{ExportPreview, writers, ScopeConnections},
	{RunStart, writers, ScopeConnections},
	{RunCancel, writers, ScopeConnections},
	{RunApprove, writers, ScopeConnections},
	{RunDiscard, writers, ScopeConnections},
	{RunRetry, writers, ScopeConnections},

	{ConnectionCreate, adminsOnly, ScopeNone},
	{ConnectionUpdate, adminsOnly, ScopeNone},
	{ConnectionCheck, adminsOnly, ScopeNone},
	{ConnectionRemove, adminsOnly, ScopeNone},
	{ConnectionSync, adminsOnly, ScopeNone},

	{SourceCreate, adminsOnly, ScopeNone},
	{SourceUpdate, adminsOnly, ScopeNone},
	{SourceRemove, adminsOnly, ScopeNone},
	{SourceTest, adminsOnly, ScopeNone},
	{SourceRun, adminsOnly, ScopeNone},

	{ProfilesImport, writers, ScopeNone},
	{SystemRefresh, adminsOnly, ScopeNone},
	{SystemSchedule, adminsOnly, ScopeNone},
	{SystemRelease, adminsOnly, ScopeNone},
	{SystemDiscard, adminsOnly, ScopeNone},

	{UserAdd, adminsOnly, ScopeNone},
	{UserRemove, adminsOnly, ScopeNone},
	{UserSetRole, adminsOnly, ScopeNone},
	{UserSetPassword, everyone, ScopeOwn},
	{TokenCreate, everyone, ScopeOwn},
	{TokenRevoke, everyone, ScopeOwn},

	{NotifyChannelCreate, adminsOnly, ScopeNone},
	{NotifyChannelRemove, adminsOnly, ScopeNone},
	{NotifyChannelTest, adminsOnly, ScopeNone},
	{NotifyRuleCreate, adminsOnly, ScopeNone},
	{NotifyRuleRemove, adminsOnly, ScopeNone},
}

// Permissions returns a copy of the permission table, in its order.
func Permissions() []Permission { return slices.Clone(permissions) }

// Subject is what an action acts on, as far as the permission table
// needs to know.
type Subject struct {
	// Name names the subject in a refusal ("export \"VIP\"").
	Name string
	// AdminOnly lists the names of the connections the subject sends to
	// that only admins may use (ScopeConnections).
	AdminOnly []string
	// OwnerID is the user the subject belongs to (ScopeOwn).
	OwnerID int64
}

// allow checks the permission table: may p perform a on s? A refusal is
// a KindForbidden *Error in plain words.
func allow(p user.Principal, a Action, s Subject) error {
	i := slices.IndexFunc(permissions, func(pm Permission) bool { return pm.Action == a })
	if i < 0 {
		return fmt.Errorf("permission table: no row for %q", a)
	}
	pm := permissions[i]
	if p.Role == "" {
		return Forbidden("sign in first")
	}
	if !slices.Contains(pm.Roles, p.Role) {
		return Forbidden("only %s may %s; you (%s) are a %s", rolesText(pm.Roles), verb(a), who(p), p.Role)
	}
	switch {
	case pm.Scope == ScopeConnections && !p.IsAdmin() && len(s.AdminOnly) > 0:
		return Forbidden("%s sends to the connection %q, which only admins may use", s.Name, s.AdminOnly[0])
	case pm.Scope == ScopeOwn && !p.IsAdmin() && s.OwnerID != p.UserID:
		return Forbidden("only admins may %s of another user", verb(a))
	}
	return nil
}

// who names p in a refusal.
func who(p user.Principal) string {
	if p.Email != "" {
		return p.Email
	}
	return p.Actor
}

func rolesText(rs []user.Role) string {
	switch len(rs) {
	case 1:
		return string(rs[0]) + "s"
	case 2:
		return string(rs[0]) + "s and " + string(rs[1]) + "s"
	}
	return "signed-in users"
}

// verb turns "segment.update" into "update segments" for messages.
func verb(a Action) string {
	noun, v, _ := strings.Cut(string(a), ".")
	v = strings.ReplaceAll(v, "_", " ")
	v = strings.ReplaceAll(v, ".", " ")
	switch noun {
	case "run":
		return v + " runs"
	case "profiles":
		return v + " profiles"
	case "system":
		switch a {
		case SystemRefresh:
			return "queue the system refresh"
		case SystemRelease:
			return "release a held refresh"
		case SystemDiscard:
			return "discard a held refresh"
		}
		return "change the system refresh " + v
	case "notify":
		what, v, _ := strings.Cut(v, " ")
		return v + " notification " + what + "s"
	case "user":
		switch a {
		case UserSetPassword:
			return "set the password"
		case UserSetRole:
			return "change the role of users"
		}
	case "connection":
		if a == ConnectionSync {
			return "sync the unsubscribes of connections"
		}
	case "token":
		if a == TokenRevoke {
			return "revoke the tokens"
		}
	}
	return v + " " + noun + "s"
}

// PermissionTable renders the permission table as Markdown, as
// docs/architecture.md shows it (a test keeps the two equal).
func PermissionTable() string {
	var b strings.Builder
	b.WriteString("| use case | admin | contributor | viewer |\n|---|---|---|---|\n")
	for _, pm := range permissions {
		b.WriteString("| `" + string(pm.Action) + "` |")
		for _, r := range []user.Role{user.RoleAdmin, user.RoleContributor, user.RoleViewer} {
			cell := "—"
			if slices.Contains(pm.Roles, r) {
				cell = "yes"
				switch {
				case pm.Scope == ScopeConnections && r != user.RoleAdmin:
					cell = "on connections open to contributors"
				case pm.Scope == ScopeOwn && r != user.RoleAdmin:
					cell = "own only"
				}
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
