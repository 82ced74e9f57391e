package run

// Action is what an op does to its contact, as run results show it:
// "add" (an upsert of a contact the export never sent), "update", "untag"
// or "skip".
func (op Op) Action() string {
	switch {
	case op.Kind == OpUpsert && op.New:
		return "add"
	case op.Kind == OpUpsert:
		return "update"
	}
	return string(op.Kind)
}
