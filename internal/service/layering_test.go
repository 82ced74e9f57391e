package service_test

import (
	"go/ast"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// interfacePackages are the adapters: they parse, call one service method
// and render. The demo is an adapter too.
var interfacePackages = []string{
	"segbridge/internal/cli",
	"segbridge/internal/api",
	"segbridge/internal/web",
	"segbridge/internal/demo",
}

// storeReads are the store.Store methods an interface may call: reads
// only. Every other method of the store changes state and belongs to a
// service.
func isStoreRead(name string) bool {
	for _, prefix := range []string{"Get", "List", "Count", "Scan", "Engine", "ProfileSchema", "RunProgress",
		"StateOf", "ExportsForConnection", "Latest", "Find", "Search", "Explain", "Deliveries", "LastRun"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// forbiddenCalls are functions that change state which only services may
// call: the audit log's Record (a service records its own entry), a
// segment's refresh, and the domain writers a service wraps.
//
// user.Service's Login, Logout, sessions, TokenPrincipal and Bootstrap
// are not here: they are authentication (who a request is), not use cases
// a principal performs, and are not audited.
var forbiddenCalls = map[string]bool{
	"(*segbridge/internal/audit.Log).Record": true,
	"segbridge/internal/segment.Refresh":     true,

	// Profiles, the system refresh, notifications.
	"segbridge/internal/profile.Import":                true,
	"(*segbridge/internal/jobs.Client).EnqueueRefresh": true,
	"(*segbridge/internal/jobs.Client).Refresh":        true,
	"(*segbridge/internal/jobs.Client).ReleaseRefresh": true,
	"(*segbridge/internal/jobs.Client).DiscardRefresh": true,
	// Sources (service.Sources).
	"(*segbridge/internal/ingest.Ingester).ReadSource":   true,
	"(*segbridge/internal/ingest.Ingester).ReadAll":      true,
	"(*segbridge/internal/ingest.Ingester).Unify":        true,
	"(*segbridge/internal/ingest.Ingester).Release":      true,
	"(*segbridge/internal/notify.Service).CreateChannel": true,
	"(*segbridge/internal/notify.Service).RemoveChannel": true,
	"(*segbridge/internal/notify.Service).CreateRule":    true,
	"(*segbridge/internal/notify.Service).RemoveRule":    true,
	"(*segbridge/internal/notify.Service).Test":          true,
	// Connections (service.Connections).
	"(*segbridge/internal/connection.Service).Connect": true,
	"(*segbridge/internal/connection.Service).Create":  true,
	"(*segbridge/internal/connection.Service).Update":  true,
	"(*segbridge/internal/connection.Service).Check":   true,
	"(*segbridge/internal/connection.Service).Remove":  true,
	"(*segbridge/internal/app.App).SyncUnsubscribes":   true,

	// Users and tokens (service.Users).
	"(*segbridge/internal/user.Service).Add":         true,
	"(*segbridge/internal/user.Service).Remove":      true,
	"(*segbridge/internal/user.Service).SetRole":     true,
	"(*segbridge/internal/user.Service).SetPassword": true,
	"(*segbridge/internal/user.Service).CreateToken": true,
	"(*segbridge/internal/user.Service).RevokeToken": true,

	// Runs and verify (service.Runs).
	"segbridge/internal/run.Start":               true,
	"segbridge/internal/run.Approve":             true,
	"segbridge/internal/run.Discard":             true,
	"(*segbridge/internal/jobs.Client).StartRun": true,
	"(*segbridge/internal/jobs.Client).Enqueue":  true,
	"(*segbridge/internal/jobs.Client).Resume":   true,
	"(*segbridge/internal/app.App).VerifyExport": true,
}

// TestInterfacesCallNoStoreWrite proves by type analysis that no
// interface package (CLI, API, web UI, demo) calls a store method that
// changes state, the audit log or a segment refresh: those are the
// services' (internal/service) alone.
func TestInterfacesCallNoStoreWrite(t *testing.T) {
	t.Parallel()
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo,
		Dir: filepath.Join("..", "..")}
	pkgs, err := packages.Load(cfg, interfacePackages...)
	require.NoError(t, err)
	var found []string
	for _, pkg := range pkgs {
		if len(pkg.Errors) > 0 && (strings.Contains(pkg.Errors[0].Msg, "cannot find package") || strings.Contains(pkg.Errors[0].Msg, "is not in std")) {
			continue // an interface package that does not exist (yet)
		}
		require.Empty(t, pkg.Errors, "package %s does not load", pkg.PkgPath)
		for _, f := range pkg.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if what := storeWrite(pkg.TypesInfo, call); what != "" {
					found = append(found, pkg.Fset.Position(call.Pos()).String()+": "+what)
				}
				return true
			})
		}
	}
	slices.Sort(found)
	require.Empty(t, found, "interface packages must call a service instead:\n%s", strings.Join(found, "\n"))
}

// storeWrite names the state change call makes, or "".
func storeWrite(info *types.Info, call *ast.CallExpr) string {
	var obj types.Object
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		obj = info.Uses[fn.Sel]
	case *ast.Ident:
		obj = info.Uses[fn]
	}
	f, ok := obj.(*types.Func)
	if !ok {
		return ""
	}
	if forbiddenCalls[f.FullName()] {
		return f.FullName()
	}
	sig := f.Type().(*types.Signature)
	if sig.Recv() == nil || isStoreRead(f.Name()) {
		return ""
	}
	if pkg := f.Pkg(); pkg != nil && isStorePackage(pkg.Path()) && isInterfaceMethod(sig.Recv().Type()) {
		return "store method " + f.Name()
	}
	return ""
}

// isStorePackage reports whether path declares part of store.Store (the
// interface embeds ones from the domain packages, such as run.Store).
func isStorePackage(path string) bool {
	return path == "segbridge/internal/store" || strings.HasPrefix(path, "segbridge/internal/") &&
		slices.Contains([]string{"run", "notify", "audit", "user", "segment", "profile", "connection", "readback"}, strings.TrimPrefix(path, "segbridge/internal/"))
}

func isInterfaceMethod(recv types.Type) bool {
	_, ok := recv.Underlying().(*types.Interface)
	return ok
}
