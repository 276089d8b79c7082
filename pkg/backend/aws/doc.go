// Package aws is the DynamoDB and SQS driver of the hookflow backend seam (package backend):
// the store is one DynamoDB table, the wake queue one standard SQS queue. It implements the
// contract written in package backend and passes the conformance suite in
// pkg/backend/backendtest.
//
//	cfg, err := config.LoadDefaultConfig(ctx) // honours AWS_ENDPOINT_URL for emulators
//	...
//	b, err := aws.New(cfg, aws.Options{Table: "hookflow", QueueURL: queueURL})
//
// # Table
//
// One table with string keys AttrPK and AttrSK, made by CreateTable (or the CDK app, which
// uses the exported constants):
//
//	record       pk                      sk                 notes
//	run          RUN#<runId>             META               fields, version, lastSeq, token set, run lease; in IndexRuns; in IndexDue while DueAt is set
//	event        RUN#<runId>             EVT#<seq, 20 digits>
//	inbox item   RUN#<runId>             INB#<itemId>       in IndexDue from its CreatedAt
//	token        TOKEN#<token>           META               runId, hookId, kind, data, deliveries
//	response     RESP#<deliveryId>       META               TTL
//	idempotency  IDEM#<key>              META               TTL
//
// Tokens, delivery IDs and idempotency keys longer than 1024 bytes are keyed by their SHA-256
// (TOKENH#, RESPH#, IDEMH#, in hex) and kept whole in an attribute. Run IDs and inbox item IDs
// are keys as they are and may be up to MaxRunIDLen and MaxInboxIDLen bytes. Times are
// stored as RFC 3339 strings with nanoseconds, JSON values as strings, byte for byte. Records
// are limited to DynamoDB's 400 KB (ErrTooLarge).
//
// The run record carries the set of tokens the run holds, kept by the commits that claim and
// release them, so that ListTokens(runID) and releases need no index and read consistently.
// ListTokens("") scans the table (for the CLI).
//
// # Due index
//
// IndexDue is a sparse global secondary index (keys only) over AttrDuePK/AttrDueSK: a run is
// in it while its DueAt is set, an inbox item from its creation to its deletion, keyed
// "DUE#<shard>" and "<ms, 15 digits>#<runId>". The shard (DueShards of them, by a hash of the
// run ID) spreads the writes of a busy table over several index partitions; ListDue queries
// them all. Index reads are eventually consistent on DynamoDB, so ListDue may lag behind
// writes by a moment (see ListDue).
//
// # Runs index
//
// IndexRuns is a global secondary index over AttrRunsPK/AttrRunsSK that holds every run
// record, keyed "RUNS#<shard>" (RunShards of them) and "<CreatedAt in ms, 15 digits>#<runId>",
// projecting the run's status and workflow. Its keys are written once, by CreateRun, so a run
// costs one index write when created and one each time a commit changes its status. ListRuns
// queries the shards newest first, filters on the projected attributes, merges, and reads the
// page's run records. All reads but the two indexes' are strongly consistent.
//
// # Writes
//
// CreateRun, PutInbox and Commit are each one TransactWriteItems, conditional on what the
// contract requires (no run; the token record or the run status; the run's version), with
// failures mapped from the transaction's cancellation reasons. Transactions that meet a
// conflicting transaction or throttling are tried again. A Commit larger than one
// transaction (100 actions, 4 MB) is split so that it still looks atomic to every reader:
// see the comment at the top of commit.go. What cannot be split, the token claims and
// releases and responses of one commit (at most backend.MaxSideItems as the commit gives
// them), must fit in one transaction with the run update, else the commit fails with
// ErrTooLarge and backend.ErrInvalidCommit; so must the first events of CreateRun.
//
// # Queue
//
// Wake messages are JSON bodies {"runId": "..."}. SQS delays are whole seconds of at most 15
// minutes: longer delays carry their due time and Receive sends them on until it has come
// (and the sweeper covers a message that is lost). Receive long-polls for whole seconds, at
// most 10 messages a call; Ack deletes in batches and ignores receipts SQS no longer knows.
//
// # Emulators
//
// The integration tests run against LocalStack or the moto server on localhost:4566 (see
// localstack/). moto does not isolate concurrent writes to one table: it applies a
// transaction action by action and undoes a cancelled one by restoring a copy of the whole
// table, which can undo another client's write. The tests therefore serialize each table's
// writes when the endpoint is moto; real DynamoDB needs nothing of the kind.
package aws
