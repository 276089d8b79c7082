package engine

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookflow/hookflow/pkg/workflow/werr"
)

// compiled caches compiled schemas by their text: a delivery path compiles each hook
// definition's schema once per process.
var compiled sync.Map // string -> *jsonschema.Schema

// CompileSchema compiles a hook's JSON Schema (DefineHook checks it early; delivery
// validates payloads against it), failing with ErrInvalidArgument.
func CompileSchema(raw []byte) (*jsonschema.Schema, error) {
	if s, ok := compiled.Load(string(raw)); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: hook schema is not JSON: %v", werr.ErrInvalidArgument, err)
	}
	c := jsonschema.NewCompiler()
	const url = "hookflow:///hook-payload.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("%w: hook schema: %v", werr.ErrInvalidArgument, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%w: hook schema does not compile: %v", werr.ErrInvalidArgument, err)
	}
	compiled.Store(string(raw), s)
	return s, nil
}

// validatePayload checks payload against schema and returns a *ValidationError listing every
// issue as "<location>: <message>".
func validatePayload(schema, payload []byte) error {
	s, err := CompileSchema(schema)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return &werr.ValidationError{Issues: []string{"payload is not JSON: " + err.Error()}}
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var issues []string
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if u.Error != nil {
			loc := u.InstanceLocation
			if loc == "" {
				loc = "/"
			}
			issues = append(issues, loc+": "+u.Error.String())
		}
		for _, c := range u.Errors {
			walk(c)
		}
	}
	walk(*ve.BasicOutput())
	if len(issues) == 0 {
		issues = []string{ve.Error()}
	}
	return &werr.ValidationError{Issues: issues}
}
