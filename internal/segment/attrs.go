package segment

import (
	"slices"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// Attributes returns the profile attributes the rule reads, sorted, when
// they are all named statically (p.name, has(p.name), p["name"]). ok is
// false when the rule uses p in any other way (passes it whole, iterates it,
// indexes it with a computed key): then it may read any attribute.
// Evaluation uses this to decode only what the rule needs.
func (r *Rule) Attributes() (names []string, ok bool) {
	return r.attrs, r.attrsKnown
}

// referencedAttributes walks a checked rule for uses of p.
func referencedAttributes(ast *cel.Ast) ([]string, bool) {
	root := celast.NavigateAST(ast.NativeRep())
	idents := celast.MatchDescendants(root, func(e celast.NavigableExpr) bool {
		return e.Kind() == celast.IdentKind && e.AsIdent() == ruleVar
	})
	var names []string
	for _, id := range idents {
		name, ok := staticAttribute(id)
		if !ok {
			return nil, false
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names), true
}

// staticAttribute names the attribute that the use of p at id reads, if
// its parent selects it by a constant name.
func staticAttribute(id celast.NavigableExpr) (string, bool) {
	parent, ok := id.Parent()
	if !ok {
		return "", false
	}
	switch parent.Kind() {
	case celast.SelectKind:
		return parent.AsSelect().FieldName(), true
	case celast.CallKind:
		call := parent.AsCall()
		if call.FunctionName() != operators.Index || len(call.Args()) != 2 || call.Args()[0].ID() != id.ID() {
			return "", false
		}
		key := call.Args()[1]
		if key.Kind() != celast.LiteralKind {
			return "", false
		}
		s, isString := key.AsLiteral().(types.String)
		return string(s), isString
	}
	return "", false
}
