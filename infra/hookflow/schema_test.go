package hookflow

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSchemaMatchesDriver checks the copies in schema.go against the constants they copy,
// read from the Go source of the root module (which this module does not import).
func TestSchemaMatchesDriver(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	for _, tc := range []struct {
		file   string
		copies map[string]string // the original's name -> the copy's value
	}{
		{"pkg/backend/aws/keys.go", map[string]string{
			"AttrPK": attrPK, "AttrSK": attrSK, "AttrDuePK": attrDuePK, "AttrDueSK": attrDueSK,
			"AttrTTL": attrTTL, "IndexDue": indexDue,
			"AttrRunsPK": attrRunsPK, "AttrRunsSK": attrRunsSK, "IndexRuns": indexRuns,
		}},
		// The attributes IndexRuns projects (keys.go IndexRunsProjected names these two).
		{"pkg/backend/aws/codec.go", map[string]string{"attrStatus": attrStatus, "attrWorkflow": attrWorkflow}},
		{"pkg/lambdafn/config.go", map[string]string{
			"EnvTable": envTable, "EnvQueueURL": envQueueURL, "EnvBaseURL": envBaseURL,
			"EnvMaxPayloadBytes": envMaxPayloadBytes, "EnvSweepGrace": envSweepGrace, "EnvLogLevel": envLogLevel,
			"EnvRetention": envRetention, "EnvKMSKeyID": envKMSKeyID,
		}},
		{"internal/engine/tokendata.go", map[string]string{"WebhookPath": webhookPath}},
		{"pkg/webhook/handler.go", map[string]string{"ResumePath": resumePath}},
		{"pkg/admin/admin.go", map[string]string{"Path": adminPath}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			consts := stringConsts(t, filepath.Join(root, filepath.FromSlash(tc.file)))
			for name, copied := range tc.copies {
				original, ok := consts[name]
				require.True(t, ok, "%s no longer declares %s", tc.file, name)
				require.Equal(t, original, copied, "%s.%s changed: update infra/hookflow/schema.go", tc.file, name)
			}
		})
	}
}

// stringConsts returns the string constants that file declares with a literal value.
func stringConsts(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	require.NoError(t, err)
	out := map[string]string{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out[name.Name] = v
				}
			}
		}
	}
	return out
}
