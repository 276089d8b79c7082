package aws

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// expr collects the placeholders of one request's expressions. Many attribute names are
// DynamoDB reserved words (status, data, token, ...), so every name goes through a "#name"
// placeholder; values get ":v1", ":v2", ...
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

// n returns the placeholder of attribute name.
func (e *expr) n(name string) string {
	if e.names == nil {
		e.names = map[string]string{}
	}
	ph := "#" + name
	e.names[ph] = name
	return ph
}

// v returns a placeholder for value.
func (e *expr) v(value types.AttributeValue) string {
	if e.values == nil {
		e.values = map[string]types.AttributeValue{}
	}
	ph := ":v" + strconv.Itoa(len(e.values)+1)
	e.values[ph] = value
	return ph
}

// Names and Values return the maps for the request, nil when empty (DynamoDB refuses an
// empty map).
func (e *expr) Names() map[string]string                { return e.names }
func (e *expr) Values() map[string]types.AttributeValue { return e.values }

// projection returns a projection expression of the attributes.
func (e *expr) projection(names ...string) string {
	phs := make([]string, len(names))
	for i, name := range names {
		phs[i] = e.n(name)
	}
	return strings.Join(phs, ", ")
}

// update builds an update expression from its SET, REMOVE and ADD clauses.
type update struct {
	e                *expr
	set, remove, add []string
}

// Set sets an attribute to a value.
func (u *update) Set(name string, value types.AttributeValue) {
	u.set = append(u.set, u.e.n(name)+" = "+u.e.v(value))
}

// Remove removes an attribute.
func (u *update) Remove(name string) { u.remove = append(u.remove, u.e.n(name)) }

// Add adds a number to a number attribute, or elements to a set attribute.
func (u *update) Add(name string, value types.AttributeValue) {
	u.add = append(u.add, u.e.n(name)+" "+u.e.v(value))
}

// SetOrRemove sets a string attribute, or removes it when value is empty (the codec leaves
// empty strings out).
func (u *update) SetOrRemove(name, value string) {
	if value == "" {
		u.Remove(name)
		return
	}
	u.Set(name, str(value))
}

func (u *update) String() string {
	var parts []string
	for _, c := range []struct {
		kw      string
		clauses []string
	}{{"SET", u.set}, {"REMOVE", u.remove}, {"ADD", u.add}} {
		if len(c.clauses) > 0 {
			parts = append(parts, c.kw+" "+strings.Join(c.clauses, ", "))
		}
	}
	return strings.Join(parts, " ")
}
