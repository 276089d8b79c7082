package hookflow

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoDependencyCycle checks that the template's resources form no cycle through Ref,
// Fn::GetAtt, Fn::Sub and DependsOn. The functions' environment holds the API's URL while the
// API's integrations hold the functions: taking the URL from the API resource (not from the
// stage) keeps that from being a cycle, which CloudFormation would only report at deploy time.
func TestNoDependencyCycle(t *testing.T) {
	s := setupDefault(t)
	require.Empty(t, findCycle(s.cfn))
	// The edge that made the cycle a risk is there: the runner's environment depends on
	// the API.
	deps := dependencies(s.cfn)
	require.Contains(t, deps[s.logicalID(s.stack.Hookflow.RunnerFunction)], s.logicalID(s.stack.Hookflow.API))
}

func TestFindCycle(t *testing.T) {
	t.Parallel()
	tmpl := template{Resources: map[string]resource{
		"Fn":    {Properties: map[string]any{"Env": map[string]any{"Fn::GetAtt": []any{"Stage", "Url"}}}},
		"Stage": {DependsOn: []any{"Route"}},
		"Route": {Properties: map[string]any{"Target": map[string]any{"Fn::Sub": "integrations/${Integ}"}}},
		"Integ": {Properties: map[string]any{"Uri": map[string]any{"Ref": "Fn"}}},
		"Other": {Properties: map[string]any{"X": map[string]any{"Ref": "AWS::Region"}}},
	}}
	cycle := findCycle(tmpl)
	require.NotEmpty(t, cycle)
	require.ElementsMatch(t, []string{"Fn", "Stage", "Route", "Integ"}, cycle[:len(cycle)-1])

	delete(tmpl.Resources["Integ"].Properties, "Uri")
	require.Empty(t, findCycle(tmpl))
}

// dependencies returns, for each resource, the resources it refers to.
func dependencies(tmpl template) map[string][]string {
	subRef := regexp.MustCompile(`\$\{([A-Za-z0-9]+)[.}]`)
	deps := map[string][]string{}
	for id, r := range tmpl.Resources {
		add := func(target string) {
			if _, ok := tmpl.Resources[target]; ok && !slices.Contains(deps[id], target) {
				deps[id] = append(deps[id], target)
			}
		}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					switch k {
					case "Ref":
						if s, ok := x.(string); ok {
							add(s)
						}
					case "Fn::GetAtt":
						if l, ok := x.([]any); ok && len(l) > 0 {
							if s, ok := l[0].(string); ok {
								add(s)
							}
						} else if s, ok := x.(string); ok {
							add(strings.SplitN(s, ".", 2)[0])
						}
					case "Fn::Sub":
						var str string
						switch x := x.(type) {
						case string:
							str = x
						case []any:
							str, _ = x[0].(string)
						}
						for _, m := range subRef.FindAllStringSubmatch(str, -1) {
							add(m[1])
						}
					}
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(r.Properties)
		for _, d := range anyList(r.DependsOn) {
			if s, ok := d.(string); ok {
				add(s)
			}
		}
	}
	return deps
}

// findCycle returns a dependency cycle of the template (its first resource repeated at the
// end), or nil.
func findCycle(tmpl template) []string {
	deps := dependencies(tmpl)
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		state[id] = active
		stack = append(stack, id)
		for _, d := range deps[id] {
			switch state[d] {
			case active:
				i := slices.Index(stack, d)
				return append(slices.Clone(stack[i:]), d)
			case unseen:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return nil
	}
	ids := make([]string, 0, len(tmpl.Resources))
	for id := range tmpl.Resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if state[id] == unseen {
			if c := visit(id); c != nil {
				return c
			}
		}
	}
	return nil
}
