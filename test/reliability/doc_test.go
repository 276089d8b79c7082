// Package reliability holds the regression tests of the defects found at the edges of the
// production path (issue 8): transaction limits, races at the end of a run, sweeper
// starvation, poison runs, the sweep grace, token reuse, record sizes and the per-turn intake
// bound. Every test runs on the embedded backend and on the DynamoDB and SQS endpoint
// (moto under `make test`, LocalStack elsewhere), each on a table and queue of its own.
package reliability
