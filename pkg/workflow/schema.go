package workflow

import (
	"encoding/json"
	"fmt"
	"reflect"

	invopop "github.com/invopop/jsonschema"
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
