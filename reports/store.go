package reports

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// StoreFile is the helpline's database, in its state directory.
const StoreFile = "helpline.db"

// The store's buckets. Keys are chosen so that the questions the operators
// ask are prefix scans:
//
//	batches  id → batchRecord: the dedupe key, kept forever, and the evidence
//	reports  domain 0x00 id 0x00 index (2 bytes) → storedReport
//	triage   domain → Triage
var (
	bucketBatches = []byte("batches")
	bucketReports = []byte("reports")
	bucketTriage  = []byte("triage")
)

// ErrIDConflict is returned by Receive for a batch whose id is already
// stored under another key: an id is random, so this is an attack or a bug.
var ErrIDConflict = errors.New("batch id already used by another key")

// ErrLocked is returned by OpenStore when another process holds the
// database (amane-helpline serve, usually).
var ErrLocked = errors.New("the database is held by another process")

// BoltStore is the helpline's bbolt database of received batches, their
// reports and the operators' triage. It is safe for concurrent use.
type BoltStore struct {
	db *bolt.DB // never nil after OpenStore
}

// batchRecord is a received batch, as evidence: the exact body and
// signature, and when it arrived. Never the sender's address.
type batchRecord struct {
	Key       string    `json:"key"`
	Received  time.Time `json:"received"`
	Reports   int       `json:"reports"`
	Body      []byte    `json:"body"`
	Signature string    `json:"signature"`
}

// storedReport is one report as indexed under its domain.
type storedReport struct {
	Report
	Key   string `json:"key"`   // the appliance's pseudonym
	Batch string `json:"batch"` // the batch id
}

// OpenStore opens (or creates) dir/helpline.db. It waits at most timeout
// for another process to release it, then returns ErrLocked.
func OpenStore(dir string, timeout time.Duration) (*BoltStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("opening the report store: %w", err)
	}
	path := filepath.Join(dir, StoreFile)
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBatches, bucketReports, bucketTriage, bucketAudit, bucketAccounts} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &BoltStore{db: db}, nil
}

// Close closes the database.
func (s *BoltStore) Close() error { return s.db.Close() }

// Receive stores b (already verified), with its exact body and signature
// header as evidence, and returns the acknowledgement to send. The batch is
// committed to disk before Receive returns. A batch whose id is already
// stored is acknowledged as a duplicate and stored nothing; under another
// key it is ErrIDConflict.
func (s *BoltStore) Receive(b Batch, body []byte, sig string, now time.Time) (Ack, error) {
	var ack Ack
	// Batch coalesces concurrent receipts into one commit; it may run the
	// function twice, which is harmless: the id check makes it idempotent.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		batches := tx.Bucket(bucketBatches)
		if raw := batches.Get([]byte(b.ID)); raw != nil {
			var old batchRecord
			if err := json.Unmarshal(raw, &old); err != nil {
				return fmt.Errorf("reading batch %s: %w", b.ID, err)
			}
			if old.Key != b.Key {
				return ErrIDConflict
			}
			ack = Ack{ID: b.ID, Accepted: old.Reports, Duplicate: true}
			return nil
		}
		rec, err := json.Marshal(batchRecord{Key: b.Key, Received: now.UTC(), Reports: len(b.Reports), Body: body, Signature: sig})
		if err != nil {
			return err
		}
		if err := batches.Put([]byte(b.ID), rec); err != nil {
			return err
		}
		reports := tx.Bucket(bucketReports)
		for i, r := range b.Reports {
			v, err := json.Marshal(storedReport{Report: r, Key: b.Key, Batch: b.ID})
			if err != nil {
				return err
			}
			if err := reports.Put(reportKey(r.Domain, b.ID, i), v); err != nil {
				return err
			}
		}
		ack = Ack{ID: b.ID, Accepted: len(b.Reports)}
		return nil
	})
	if err != nil {
		return Ack{}, fmt.Errorf("storing batch %s: %w", b.ID, err)
	}
	return ack, nil
}

func reportKey(domain, id string, i int) []byte {
	k := make([]byte, 0, len(domain)+len(id)+4)
	k = append(append(append(k, domain...), 0), id...)
	return binary.BigEndian.AppendUint16(append(k, 0), uint16(i))
}

// domainOf returns the domain part of a reports key.
func domainOf(k []byte) []byte {
	if i := bytes.IndexByte(k, 0); i >= 0 {
		return k[:i]
	}
	return k
}

// Evidence returns the exact body and signature header of a stored batch,
// and when it was received.
func (s *BoltStore) Evidence(id string) (body []byte, sig string, received time.Time, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketBatches).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("no batch %q", id)
		}
		var rec batchRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		body, sig, received = rec.Body, rec.Signature, rec.Received
		return nil
	})
	return body, sig, received, err
}

// Batches returns how many batches the store holds.
func (s *BoltStore) Batches() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketBatches).Stats().KeyN
		return nil
	})
	return n, err
}

// eachReport calls fn for each stored report of domain, or of every
// domain when domain is "", in domain order.
func eachReport(tx *bolt.Tx, domain string, fn func(storedReport) error) error {
	c := tx.Bucket(bucketReports).Cursor()
	var prefix []byte
	if domain != "" {
		prefix = append([]byte(domain), 0)
	}
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r storedReport
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("reading report %q: %w", domainOf(k), err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
