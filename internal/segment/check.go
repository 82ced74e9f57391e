package segment

import (
	"errors"
	"slices"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"

	"segbridge/internal/profile"
)

// CheckRule is the check a rule passes before it is saved, in every
// interface and again when a run plans: it compiles against the schema's
// attribute types, and every attribute it names (p.name, has(p.name),
// p["name"]) must be carried by some stored profile — otherwise a
// *RuleError at that attribute, naming the closest existing ones ("did
// you mean email?"). While no profile is stored there is nothing to check
// names against and only the compile runs.
func CheckRule(expr string, schema profile.Schema) (*Rule, error) {
	r, err := CompileTyped(expr, schema.Types())
	if err != nil || !schema.Known() {
		return r, err
	}
	for _, ref := range attributeRefs(r.ast) {
		if err := schema.CheckAttribute(ref.name); err != nil {
			line, col := ref.line, ref.col
			var ue *profile.UnknownAttributeError
			if !errors.As(err, &ue) {
				return nil, err
			}
			return nil, &RuleError{Line: line, Column: col, Msg: ue.Error(), Source: expr}
		}
	}
	return r, nil
}

// attrRef is one static use of an attribute in a rule, at the position of
// its p (1-based line and column).
type attrRef struct {
	name      string
	line, col int
}

// attributeRefs lists the attributes a rule names statically, in source
// order.
func attributeRefs(ast *cel.Ast) []attrRef {
	native := ast.NativeRep()
	info := native.SourceInfo()
	idents := celast.MatchDescendants(celast.NavigateAST(native), func(e celast.NavigableExpr) bool {
		return e.Kind() == celast.IdentKind && e.AsIdent() == ruleVar
	})
	var refs []attrRef
	for _, id := range idents {
		name, ok := staticAttribute(id)
		if !ok {
			continue
		}
		loc := info.GetStartLocation(id.ID())
		refs = append(refs, attrRef{name: name, line: max(loc.Line(), 1), col: max(loc.Column()+1, 1)})
	}
	slices.SortStableFunc(refs, func(a, b attrRef) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return a.col - b.col
	})
	return refs
}
