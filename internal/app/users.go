package app

import (
	"segbridge/internal/audit"
	"segbridge/internal/service"
	"segbridge/internal/user"
)

// openUsers builds the user service and the audit log on the store.
func (a *App) openUsers() error {
	var err error
	a.Users, err = user.NewService(user.Config{
		Store: a.Store, Now: a.Now, Logger: a.Logger, PasswordCost: a.PasswordCost,
	})
	if err != nil {
		return err
	}
	a.Audit, err = audit.New(audit.Config{Store: a.Store, Now: a.Now, Logger: a.Logger})
	return err
}

// openServices builds the application services: the only code that
// changes state on behalf of a user.
func (a *App) openServices() error {
	var err error
	a.Services, err = service.New(service.Config{Store: a.Store, Audit: a.Audit, Now: a.Now, Logger: a.Logger,
		Jobs: a.Jobs, Notify: a.Notify, Sources: a.Sources,
		Connections: a.Connections, SyncUnsubscribes: a.SyncUnsubscribes, Users: a.Users,

		Queue: a.queueRun, Verify: a.VerifyExport, Plan: a.PreviewExport})
	return err
}
