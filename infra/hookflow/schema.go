package hookflow

// The names the functions agree on with this stack. They are copies, not imports: importing
// pkg/backend/aws and pkg/lambdafn would pull the AWS SDK, aws-lambda-go and the engine into
// the CDK module (and make it require the root module at a version), for a few strings.
// TestSchemaMatchesDriver parses the Go files that define the originals and fails when a copy
// drifts.
const (
	// The table schema of pkg/backend/aws (keys.go; table.go's CreateTable builds the same table).
	attrPK    = "pk"       // aws.AttrPK: partition key (S)
	attrSK    = "sk"       // aws.AttrSK: sort key (S)
	attrDuePK = "gsi1pk"   // aws.AttrDuePK: partition key of the due index (S)
	attrDueSK = "gsi1sk"   // aws.AttrDueSK: sort key of the due index (S)
	attrTTL   = "ttl"      // aws.AttrTTL: expiry in epoch seconds (N)
	indexDue  = "gsi1-due" // aws.IndexDue: the sparse due index, keys only

	attrRunsPK   = "gsi2pk"    // aws.AttrRunsPK: partition key of the runs index (S)
	attrRunsSK   = "gsi2sk"    // aws.AttrRunsSK: sort key of the runs index (S)
	indexRuns    = "gsi2-runs" // aws.IndexRuns: every run, newest first (ListRuns)
	attrStatus   = "status"    // the run's status (codec.go), projected into the runs index
	attrWorkflow = "workflow"  // the run's workflow (codec.go), projected into the runs index

	// The functions' environment (pkg/lambdafn/config.go).
	envTable           = "HOOKFLOW_TABLE"
	envQueueURL        = "HOOKFLOW_QUEUE_URL"
	envBaseURL         = "HOOKFLOW_BASE_URL"
	envMaxPayloadBytes = "HOOKFLOW_MAX_PAYLOAD_BYTES"
	envSweepGrace      = "HOOKFLOW_SWEEP_GRACE"
	envLogLevel        = "HOOKFLOW_LOG_LEVEL"
	envRetention       = "HOOKFLOW_RETENTION"  // the runner's: "<n>d" or "forever"
	envKMSKeyID        = "HOOKFLOW_KMS_KEY_ID" // every function's: the payload key's ARN

	// RunnerAliasName is the alias of the runner's newest version, which the wake queue and
	// the sweep schedule invoke.
	RunnerAliasName = "live"

	// The HTTP routes (pkg/workflow.WebhookPath, defined in internal/engine,
	// pkg/webhook.ResumePath and pkg/admin.Path).
	webhookPath = "/.well-known/workflow/v1/webhook/" // + {token}
	resumePath  = "/.well-known/workflow/v1/resume"
	adminPath   = "/.well-known/workflow/v1/admin" // + /runs, /hooks, ...
)
