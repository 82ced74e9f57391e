package segment

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
)

// A rule's worst-case cost per profile is estimated when it is compiled,
// from the checked expression: literal lists count their elements, and
// every attribute (and the profile p itself) is assumed to hold at most
// assumedAttrSize characters (or keys). A rule whose estimate exceeds
// maxRuleCost is refused, so a pathological rule — comprehensions nested
// over long lists, such as three .all() of 20 elements inside each other
// (about 78,000 per profile) — never reaches a preview or a refresh.
// Ordinary rules estimate under 1,000; ruleCostLimit still stops the rare
// profile whose long values push a rule past its estimate.
const (
	maxRuleCost     = 20_000
	assumedAttrSize = 100
)

// attrSizes is the cost estimator: attribute values, and p's key count,
// are at most assumedAttrSize long. Everything else is CEL's own estimate.
type attrSizes struct{}

// EstimateSize implements cost.Estimator.
func (attrSizes) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	if path := n.Path(); len(path) > 0 && path[0] == ruleVar {
		return &cost.SizeEstimate{Min: 0, Max: assumedAttrSize}
	}
	return nil
}

// EstimateCallCost implements cost.Estimator.
func (attrSizes) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// checkCost refuses a rule whose estimated worst-case cost per profile is
// above maxRuleCost.
func checkCost(env *cel.Env, ast *cel.Ast, expr string) *RuleError {
	est, err := env.EstimateCost(ast, attrSizes{})
	if err != nil {
		return &RuleError{Line: 1, Column: 1, Msg: fmt.Sprintf("cannot estimate the rule's cost: %v", err), Source: expr}
	}
	if est.Max <= maxRuleCost {
		return nil
	}
	amount := fmt.Sprintf("up to %d", est.Max)
	if est.Max > 1_000_000_000 {
		amount = "more than a billion"
	}
	line, col := firstToken(expr)
	return &RuleError{Line: line, Column: col, Source: expr, Msg: fmt.Sprintf(
		"rule is too expensive: it may take %s steps per profile, at most %d are allowed; "+
			"nest fewer all/exists/map/filter over lists, or use shorter lists", amount, maxRuleCost)}
}
