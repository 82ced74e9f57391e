package app

import (
	"segbridge/internal/audit"
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
