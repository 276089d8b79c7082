package inspector

// chooserData is the workflow field of a form (template "chooser").
type chooserData struct {
	ID, Name string   // the field's element ID and form name
	Names    []string // the workflows to choose from; empty: a text field
	Selected string
}

func chooser(id, name string, names []string, selected string) chooserData {
	return chooserData{ID: id, Name: name, Names: names, Selected: selected}
}

// redeliverData is the two forms that send a delivery again (template "redeliver").
type redeliverData struct {
	RunID, DeliveryID string
	Workflows         []string
	NewRunOf          string
	// From names the page the forms are on ("run" or "delivery"), where a refusal shows.
	From string
}

func redeliverForms(runID, deliveryID string, workflows []string, newRunOf, from string) redeliverData {
	return redeliverData{RunID: runID, DeliveryID: deliveryID, Workflows: workflows, NewRunOf: newRunOf, From: from}
}
