package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	invopop "github.com/invopop/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// deriveSchema returns a JSON Schema for T: fields without omitempty are required, extra
// fields are allowed (they are ignored when the payload is decoded into T).
func deriveSchema[T any]() ([]byte, error) {
	r := &invopop.Reflector{Anonymous: true, AllowAdditionalProperties: true, DoNotReference: true}
	s := r.ReflectFromType(reflect.TypeFor[T]())
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("%w: deriving a JSON Schema for %v: %v", ErrInvalidArgument, reflect.TypeFor[T](), err)
	}
	return raw, nil
}

// compiled caches compiled schemas by their text: a resume path compiles each hook
// definition's schema once per process.
var compiled sync.Map // string -> *jsonschema.Schema

func compileSchema(raw []byte) (*jsonschema.Schema, error) {
	if s, ok := compiled.Load(string(raw)); ok {
		return s.(*jsonschema.Schema), nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: hook schema is not JSON: %v", ErrInvalidArgument, err)
	}
	c := jsonschema.NewCompiler()
	const url = "hookflow:///hook-payload.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("%w: hook schema: %v", ErrInvalidArgument, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("%w: hook schema does not compile: %v", ErrInvalidArgument, err)
	}
	compiled.Store(string(raw), s)
	return s, nil
}

// validatePayload checks payload against schema and returns a *ValidationError listing every
// issue as "<location>: <message>".
func validatePayload(schema, payload []byte) error {
	s, err := compileSchema(schema)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return &ValidationError{Issues: []string{"payload is not JSON: " + err.Error()}}
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
	return &ValidationError{Issues: issues}
}
