package memory

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/hookflow/hookflow/pkg/backend"
)

// The bbolt file has one top-level bucket per record kind, with JSON values:
//
//	runs/<run ID>                   run record
//	events/<run ID>/<seq, 8 bytes>  event, in a bucket per run (big-endian Seq keys keep order)
//	inbox/<run ID>/<item ID>        inbox item, in a bucket per run
//	tokens/<token>                  token record
//	responses/<delivery ID>         response
//	idempotency/<key>               idempotency record
//	meta/format, meta/last-inbox-id file format version; greatest inbox ID assigned
//
// Byte fields are stored as []byte (base64 in JSON) so that they come back exactly as given,
// valid JSON or not.
var (
	bucketRuns        = []byte("runs")
	bucketEvents      = []byte("events")
	bucketInbox       = []byte("inbox")
	bucketTokens      = []byte("tokens")
	bucketResponses   = []byte("responses")
	bucketIdempotency = []byte("idempotency")
	bucketMeta        = []byte("meta")

	allBuckets = [][]byte{bucketRuns, bucketEvents, bucketInbox, bucketTokens, bucketResponses, bucketIdempotency, bucketMeta}

	keyFormat      = []byte("format")
	keyLastInboxID = []byte("last-inbox-id")
)

// fileFormat is the version of the layout above.
const fileFormat = "1"

// Open returns a Backend whose records are kept in memory and written through to the bbolt
// file at path (created if missing), one transaction per mutating call. The records stored
// in the file are loaded at once. The wake queue is not persisted: after a restart it is
// empty, and the engine's sweeper wakes runs again through ListDue, which reports runs with
// a DueAt and runs with inbox items. Open waits up to a second for another process to
// release the file. Close closes the file.
func Open(path string, opts ...Option) (*Backend, error) {
	return open(path, applied(opts))
}

// OpenWithOptions is Open with Options; impossible values are refused.
func OpenWithOptions(path string, opts Options) (*Backend, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return open(path, opts.WithDefaults())
}

func open(path string, opts Options) (*Backend, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("memory: open %s: %w", path, err)
	}
	b := newBackend(opts)
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch f := meta.Get(keyFormat); {
		case f == nil:
			if err := meta.Put(keyFormat, []byte(fileFormat)); err != nil {
				return err
			}
		case string(f) != fileFormat:
			return fmt.Errorf("unsupported file format %q", f)
		}
		return b.load(tx)
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("memory: open %s: %w", path, err), db.Close())
	}
	b.db = db
	b.commits = newCommitter(db)
	return b, nil
}

// persist queues fn, which writes one change's records, for the file's next group commit
// (see groupcommit.go), and returns the function that waits until it is on disk; for a
// backend made by New, which has no file, it returns nil. The caller holds b.mu, has checked
// the change, applies it to memory before it unlocks, and waits after it unlocks: fn runs
// later, on another goroutine, so it may read only values that no one changes meanwhile.
func (b *Backend) persist(fn func(tx *bolt.Tx) error) (wait func() error) {
	if b.db == nil {
		return nil
	}
	return b.commits.submit(fn)
}

// settle waits for a persisted change (wait from persist, nil: nothing to wait for) after the
// caller has unlocked b.mu, and returns its error, prefixed with what, or nil.
func settle(wait func() error, what string) error {
	if wait == nil {
		return nil
	}
	if err := wait(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// load reads every record of the file into b.
func (b *Backend) load(tx *bolt.Tx) error {
	err := tx.Bucket(bucketRuns).ForEach(func(k, v []byte) error {
		var rec runRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("run %q: %w", k, err)
		}
		b.runs[rec.ID] = &runState{run: rec.run()}
		return nil
	})
	if err != nil {
		return err
	}
	events := tx.Bucket(bucketEvents)
	err = events.ForEachBucket(func(runID []byte) error {
		rs, ok := b.runs[string(runID)]
		if !ok {
			return fmt.Errorf("events of unknown run %q", runID)
		}
		err := events.Bucket(runID).ForEach(func(_, v []byte) error {
			var rec eventRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("event of run %q: %w", runID, err)
			}
			rs.events = append(rs.events, rec.event())
			return nil
		})
		if err != nil {
			return err
		}
		if err := checkSeq(rs.events, 0); err != nil || int64(len(rs.events)) != rs.run.LastSeq {
			return fmt.Errorf("history of run %q does not match its LastSeq %d", runID, rs.run.LastSeq)
		}
		return nil
	})
	if err != nil {
		return err
	}
	inbox := tx.Bucket(bucketInbox)
	err = inbox.ForEachBucket(func(runID []byte) error {
		// Keys are item IDs, so the cursor yields the items sorted by ID.
		return inbox.Bucket(runID).ForEach(func(_, v []byte) error {
			var rec itemRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("inbox item of run %q: %w", runID, err)
			}
			b.inbox[string(runID)] = append(b.inbox[string(runID)], rec.item())
			return nil
		})
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
		var rec tokenRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("token %q: %w", k, err)
		}
		b.tokens[rec.Token] = rec.token()
		if rs, ok := b.runs[rec.RunID]; ok {
			rs.tokenBytes += len(rec.Token)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketResponses).ForEach(func(k, v []byte) error {
		var rec responseRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("response %q: %w", k, err)
		}
		b.responses[rec.DeliveryID] = rec.response()
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketIdempotency).ForEach(func(k, v []byte) error {
		var rec idemRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("idempotency record %q: %w", k, err)
		}
		b.idem[rec.Key] = rec.idempotency()
		return nil
	})
	if err != nil {
		return err
	}
	if v := tx.Bucket(bucketMeta).Get(keyLastInboxID); v != nil {
		if err := b.lastID.UnmarshalText(v); err != nil {
			return fmt.Errorf("last inbox ID: %w", err)
		}
	}
	return nil
}

// putJSON stores v as JSON under key in bucket.
func putJSON(bucket *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return bucket.Put(key, data)
}

func seqKey(seq int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(seq))
}

func putRun(tx *bolt.Tx, r backend.Run) error {
	return putJSON(tx.Bucket(bucketRuns), []byte(r.ID), newRunRecord(r))
}

func putEvents(tx *bolt.Tx, runID string, events []backend.Event) error {
	if len(events) == 0 {
		return nil
	}
	bucket, err := tx.Bucket(bucketEvents).CreateBucketIfNotExists([]byte(runID))
	if err != nil {
		return err
	}
	for _, e := range events {
		if err := putJSON(bucket, seqKey(e.Seq), newEventRecord(e)); err != nil {
			return err
		}
	}
	return nil
}

func putItem(tx *bolt.Tx, it backend.InboxItem) error {
	bucket, err := tx.Bucket(bucketInbox).CreateBucketIfNotExists([]byte(it.RunID))
	if err != nil {
		return err
	}
	return putJSON(bucket, []byte(it.ID), newItemRecord(it))
}

func deleteInbox(tx *bolt.Tx, runID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	bucket := tx.Bucket(bucketInbox).Bucket([]byte(runID))
	if bucket == nil {
		return nil
	}
	for _, id := range ids {
		if err := bucket.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return nil
}

func putToken(tx *bolt.Tx, t backend.Token) error {
	return putJSON(tx.Bucket(bucketTokens), []byte(t.Token), newTokenRecord(t))
}

func deleteToken(tx *bolt.Tx, token string) error {
	return tx.Bucket(bucketTokens).Delete([]byte(token))
}

func putResponse(tx *bolt.Tx, r backend.Response) error {
	return putJSON(tx.Bucket(bucketResponses), []byte(r.DeliveryID), newResponseRecord(r))
}

func putIdem(tx *bolt.Tx, i backend.Idempotency) error {
	return putJSON(tx.Bucket(bucketIdempotency), []byte(i.Key), newIdemRecord(i))
}

func putLastID(tx *bolt.Tx, id ulid.ULID) error {
	return tx.Bucket(bucketMeta).Put(keyLastInboxID, []byte(id.String()))
}
