package segment

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"

	"segbridge/internal/profile"
)

// celType is the CEL type rules see for an attribute type; nil for a mixed
// attribute, which stays dynamic.
func celType(t profile.Type) *cel.Type {
	switch t {
	case profile.TypeString, profile.TypeDate, profile.TypeTimestamp:
		return cel.StringType
	case profile.TypeInteger:
		return cel.IntType
	case profile.TypeDecimal:
		return cel.DoubleType
	case profile.TypeBoolean:
		return cel.BoolType
	}
	return nil
}

// typeCheck checks expr again with the attributes' types and returns its
// output type. CEL resolves the select p.orders as the qualified name
// "p.orders" before it looks at p, so declaring a variable of that name
// with the attribute's type types exactly those selects, leaving p a map
// for everything else. Only the check uses this environment: the program
// is planned from the untyped one, where p.orders reads the map.
func typeCheck(expr string, attrTypes map[string]profile.Type) (*cel.Type, error) {
	opts := []cel.EnvOption{}
	for name, t := range attrTypes {
		if ct := celType(t); ct != nil {
			opts = append(opts, cel.Variable(ruleVar+"."+name, ct))
		}
	}
	base, err := newEnv()
	if err != nil {
		return nil, &RuleError{Line: 1, Column: 1, Msg: err.Error(), Source: expr}
	}
	env, err := base.Extend(opts...)
	if err != nil {
		return nil, &RuleError{Line: 1, Column: 1, Msg: fmt.Sprintf("declare attribute types: %v", err), Source: expr}
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		re := issuesError(expr, iss.Errors())
		re.Msg = explainTypeError(re.Msg)
		return nil, re
	}
	return ast.OutputType(), nil
}

// explainTypeError adds a hint to CEL's overload message for the common
// mistakes: a number compared with text, a decimal with a whole number.
func explainTypeError(msg string) string {
	switch {
	case !strings.HasPrefix(msg, "found no matching overload"):
		return msg
	case strings.Contains(msg, "(double, int)") || strings.Contains(msg, "(int, double)"):
		return msg + " (a decimal attribute takes decimals, such as 500.0; an integer one whole numbers, such as 500)"
	case strings.Contains(msg, "string") && (strings.Contains(msg, "int") || strings.Contains(msg, "double")):
		return msg + " (a number is used with text: the profile schema has each attribute's type)"
	}
	return msg + " (the profile schema has each attribute's type)"
}
