package reports

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/amane-dns/amane/blocklist/feed"
	bolt "go.etcd.io/bbolt"
)

// Outbox is the appliance's durable queue of reports for the helpline, in
// the appliance's bbolt file. A manual report is committed (fsynced)
// before Add returns, so a power cut after `amane report` said "saved"
// loses nothing. Counts are merged by day, kind, category, age band and
// domain, so a day of lookups costs one entry a name, however many.
//
// Reports leave in batches. A batch is sealed once — its reports moved out
// of the pending set, its body encoded and signed — in one transaction, and
// its exact bytes are sent again on every retry, so the helpline can
// recognise a retry by its id and store it once. A batch leaves the outbox
// only when the helpline acknowledged it, or refused it for good (kept
// with the reason, for `amane report --status`).
//
// The outbox is bounded (Limits): when the counts are full the oldest
// days go first, with a log line; manual reports are never dropped, and
// past their limit Add refuses with ErrFull.
type Outbox struct {
	db   *bolt.DB
	log  *slog.Logger
	lim  Limits
	kick chan struct{} // a report was added: the sender may have work
}

// Limits bound the outbox.
type Limits struct {
	Counts int // count entries waiting; default 50,000 (some 6 MB)
	Manual int // manual reports waiting; default 5,000
}

func (l Limits) withDefaults() Limits {
	if l.Counts <= 0 {
		l.Counts = 50_000
	}
	if l.Manual <= 0 {
		l.Manual = 5_000
	}
	return l
}

// ErrFull is returned by Add when the manual reports waiting reached their
// limit: the helpline has been unreachable for long.
var ErrFull = errors.New("the outbox is full of reports the helpline has not yet acknowledged")

// Buckets of the appliance's bbolt file that this package owns.
var (
	bucketOutbox = []byte("reports.outbox")
	bucketKey    = []byte("reports.key")
)

// Sub-buckets of bucketOutbox, and keys.
var (
	subManual  = []byte("manual")  // 8-byte sequence → Report JSON
	subCounts  = []byte("counts")  // countKey → Report JSON
	subBatches = []byte("batches") // 8-byte sequence → sealed JSON
	subRefused = []byte("refused") // 8-byte sequence → sealed JSON with the reason
	keyMeta    = []byte("meta")
	keySecret  = []byte("secret")
	keyCreated = []byte("created")
)

// keepRefused is how many refused batches are kept for the status.
const keepRefused = 20

// meta is the outbox's running totals.
type meta struct {
	Counts       int       `json:"counts"` // entries in subCounts
	AckedBatches int       `json:"acked_batches"`
	AckedReports int       `json:"acked_reports"`
	AckedManual  int       `json:"acked_manual"`
	LastAck      time.Time `json:"last_ack,omitzero"`
	Dropped      int       `json:"dropped"` // count entries dropped when full
	LastDropped  time.Time `json:"last_dropped,omitzero"`
}

// sealed is one signed batch, waiting for its acknowledgement: what the
// status shows of it, and the exact bytes to send.
type sealed struct {
	seq uint64
	Pending
	Body []byte `json:"body"`
	Sig  string `json:"sig"`
}

// OpenOutbox opens the outbox in db, making its buckets and, at the first
// start, the appliance's key.
func OpenOutbox(db *bolt.DB, log *slog.Logger, lim Limits) (*Outbox, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Outbox{db: db, log: log, lim: lim.withDefaults(), kick: make(chan struct{}, 1)}
	err := db.Update(func(tx *bolt.Tx) error {
		ob, err := tx.CreateBucketIfNotExists(bucketOutbox)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{subManual, subCounts, subBatches, subRefused} {
			if _, err := ob.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		kb, err := tx.CreateBucketIfNotExists(bucketKey)
		if err != nil {
			return err
		}
		if kb.Get(keySecret) == nil {
			return newKey(kb, time.Now())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("opening the report outbox: %w", err)
	}
	return o, nil
}

// newKey makes the appliance's pseudonymous identity: a fresh Ed25519
// (minisign) key, unrelated to anything else about the appliance.
func newKey(kb *bolt.Bucket, now time.Time) error {
	k, err := feed.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := kb.Put(keySecret, k.Encode()); err != nil {
		return err
	}
	return kb.Put(keyCreated, []byte(now.UTC().Format(time.RFC3339)))
}

// RotateKey replaces the appliance's key: reports not yet sealed go out
// under the new one, and the helpline cannot link them to the old. Batches
// already sealed keep their signature (a retry must send the same bytes).
func (o *Outbox) RotateKey(now time.Time) (string, error) {
	var pub string
	err := o.db.Update(func(tx *bolt.Tx) error {
		kb := tx.Bucket(bucketKey)
		if err := newKey(kb, now); err != nil {
			return err
		}
		k, err := feed.ParseSecretKey(kb.Get(keySecret))
		pub = k.Public().String()
		return err
	})
	return pub, err
}

func secretKey(tx *bolt.Tx) (feed.SecretKey, error) {
	raw := tx.Bucket(bucketKey).Get(keySecret)
	k, err := feed.ParseSecretKey(raw)
	if err != nil {
		return k, fmt.Errorf("the appliance's report key: %w", err)
	}
	return k, nil
}

// Added returns a channel that receives when a report was added.
func (o *Outbox) Added() <-chan struct{} { return o.kick }

func (o *Outbox) added() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Add stores a manual report durably. r.Kind must be Manual.
func (o *Outbox) Add(r Report) error {
	if r.Kind != Manual {
		return fmt.Errorf("adding a %s report by hand: only manual reports are", r.Kind)
	}
	if err := r.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	err = o.db.Update(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketOutbox).Bucket(subManual)
		if mb.Stats().KeyN >= o.lim.Manual {
			return ErrFull
		}
		seq, err := mb.NextSequence()
		if err != nil {
			return err
		}
		return mb.Put(seqKey(seq), body)
	})
	if err == nil {
		o.added()
	}
	return err
}

// AddCounts merges counts (Watch and Mandatory reports) into the outbox in
// one transaction. When the counts are over their limit, the oldest days'
// go first.
func (o *Outbox) AddCounts(rs []Report, now time.Time) error {
	for _, r := range rs {
		if r.Kind == Manual {
			return errors.New("adding counts: a manual report is not a count")
		}
		if err := r.Validate(); err != nil {
			return err
		}
	}
	var dropped int
	var oldest string
	err := o.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		m, err := readMeta(ob)
		if err != nil {
			return err
		}
		cb := ob.Bucket(subCounts)
		for _, r := range rs {
			k := countKey(r)
			if old := cb.Get(k); old != nil {
				var prev Report
				if json.Unmarshal(old, &prev) == nil {
					r.Count = uint32(min(uint64(prev.Count)+uint64(r.Count), MaxCount))
				}
			} else {
				m.Counts++
			}
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := cb.Put(k, v); err != nil {
				return err
			}
		}
		c := cb.Cursor()
		for k, v := c.First(); k != nil && m.Counts > o.lim.Counts; k, v = c.First() {
			if oldest == "" {
				var r Report
				json.Unmarshal(v, &r)
				oldest = r.Day
			}
			if err := c.Delete(); err != nil {
				return err
			}
			m.Counts--
			dropped++
		}
		if dropped > 0 {
			m.Dropped += dropped
			m.LastDropped = now
		}
		return writeMeta(ob, m)
	})
	if err != nil {
		return err
	}
	if dropped > 0 {
		o.log.Warn("report outbox full: the oldest counts were dropped (manual reports are kept)",
			"dropped", dropped, "oldest_day", oldest, "limit", o.lim.Counts)
	}
	if len(rs) > 0 {
		o.added()
	}
	return nil
}

// countKey orders counts by day first, so that the oldest go first.
func countKey(r Report) []byte {
	return fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s\x00%s", r.Day, r.Kind, r.Category, r.AgeBand, r.Domain)
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func readMeta(ob *bolt.Bucket) (meta, error) {
	var m meta
	if v := ob.Get(keyMeta); v != nil {
		if err := json.Unmarshal(v, &m); err != nil {
			return m, fmt.Errorf("the report outbox's totals: %w", err)
		}
	}
	return m, nil
}

func writeMeta(ob *bolt.Bucket, m meta) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return ob.Put(keyMeta, v)
}

// next returns the oldest sealed batch, or seals a new one from the manual
// reports and the counts of days before today (a day's counts leave once
// the day is over: a lookup is never reported within minutes of being
// made). ok is false when there is nothing to send.
func (o *Outbox) next(now time.Time, today string) (b sealed, ok bool, err error) {
	err = o.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		if k, v := ob.Bucket(subBatches).Cursor().First(); k != nil {
			ok = true
			b.seq = binary.BigEndian.Uint64(k)
			return json.Unmarshal(v, &b)
		}
		key, err := secretKey(tx)
		if err != nil {
			return err
		}
		batch, taken, err := takePending(ob, today)
		if err != nil || len(batch.Reports) == 0 {
			return err
		}
		var id [16]byte
		rand.Read(id[:])
		batch.ID = hex.EncodeToString(id[:])
		body, sig, err := SignBatch(batch, key)
		for err == nil && len(body) > MaxBatchBytes/2 && len(batch.Reports) > 1 {
			// Long notes: send fewer at a time, well under the intake's cap.
			n := len(batch.Reports) / 2
			batch.Reports, taken = batch.Reports[:n], taken[:n]
			body, sig, err = SignBatch(batch, key)
		}
		if err != nil {
			return err
		}
		if err := removeTaken(ob, taken); err != nil {
			return err
		}
		b = sealed{Pending: Pending{ID: batch.ID, Sealed: now, Reports: len(batch.Reports)}, Body: body, Sig: sig}
		for _, r := range batch.Reports {
			if r.Kind == Manual {
				b.Manual++
			}
		}
		bb := ob.Bucket(subBatches)
		if b.seq, err = bb.NextSequence(); err != nil {
			return err
		}
		ok = true
		return putSealed(bb, b)
	})
	return b, ok, err
}

// taken names one pending report moved into a batch.
type taken struct {
	bucket []byte
	key    []byte
}

// takePending collects up to MaxBatchReports pending reports, manual ones
// first. An entry that does not decode or validate (written by another
// version, or damaged) is dropped with the batch, never sent.
func takePending(ob *bolt.Bucket, today string) (Batch, []taken, error) {
	var b Batch
	var ts []taken
	var bad []taken
	for _, sub := range [][]byte{subManual, subCounts} {
		c := ob.Bucket(sub).Cursor()
		for k, v := c.First(); k != nil && len(b.Reports) < MaxBatchReports; k, v = c.Next() {
			var r Report
			if json.Unmarshal(v, &r) != nil || r.Validate() != nil {
				bad = append(bad, taken{sub, bytes.Clone(k)})
				continue
			}
			if bytes.Equal(sub, subCounts) && r.Day >= today {
				break // counts are ordered by day: the rest are today's
			}
			b.Reports = append(b.Reports, r)
			ts = append(ts, taken{sub, bytes.Clone(k)})
		}
	}
	if err := removeTaken(ob, bad); err != nil {
		return b, nil, err
	}
	return b, ts, nil
}

func removeTaken(ob *bolt.Bucket, ts []taken) error {
	if len(ts) == 0 {
		return nil
	}
	m, err := readMeta(ob)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if err := ob.Bucket(t.bucket).Delete(t.key); err != nil {
			return err
		}
		if bytes.Equal(t.bucket, subCounts) {
			m.Counts--
		}
	}
	return writeMeta(ob, m)
}

func putSealed(bb *bolt.Bucket, b sealed) error {
	v, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return bb.Put(seqKey(b.seq), v)
}

// acked forgets b: the helpline has it.
func (o *Outbox) acked(b sealed, now time.Time) error {
	return o.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		if err := ob.Bucket(subBatches).Delete(seqKey(b.seq)); err != nil {
			return err
		}
		m, err := readMeta(ob)
		if err != nil {
			return err
		}
		m.AckedBatches++
		m.AckedReports += b.Reports
		m.AckedManual += b.Manual
		m.LastAck = now
		return writeMeta(ob, m)
	})
}

// failed notes a try that will be made again.
func (o *Outbox) failed(b sealed, now time.Time, why error) error {
	return o.db.Update(func(tx *bolt.Tx) error {
		bb := tx.Bucket(bucketOutbox).Bucket(subBatches)
		if bb.Get(seqKey(b.seq)) == nil {
			return nil
		}
		b.Attempts++
		b.LastError, b.LastTry = why.Error(), now
		return putSealed(bb, b)
	})
}

// refused moves b out of the way: the helpline will never take it. It is
// kept (the last keepRefused) for the status.
func (o *Outbox) refused(b sealed, now time.Time, why error) error {
	return o.db.Update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bucketOutbox)
		if err := ob.Bucket(subBatches).Delete(seqKey(b.seq)); err != nil {
			return err
		}
		rb := ob.Bucket(subRefused)
		b.Attempts++
		b.LastError, b.LastTry = why.Error(), now
		seq, err := rb.NextSequence()
		if err != nil {
			return err
		}
		b.seq = seq
		if err := putSealed(rb, b); err != nil {
			return err
		}
		c := rb.Cursor()
		for k, _ := c.First(); k != nil && rb.Stats().KeyN > keepRefused; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

// OutboxStatus is what `amane report --status` shows.
type OutboxStatus struct {
	Key          string    `json:"key"` // the appliance's public key: its pseudonym
	KeyCreated   string    `json:"key_created"`
	Manual       []Report  `json:"manual"`        // manual reports not yet in a batch
	Counts       int       `json:"counts"`        // count entries not yet in a batch
	Batches      []Pending `json:"batches"`       // sealed, waiting for an acknowledgement
	Refused      []Pending `json:"refused"`       // refused by the helpline for good
	AckedBatches int       `json:"acked_batches"` // acknowledged since the outbox was made
	AckedReports int       `json:"acked_reports"`
	AckedManual  int       `json:"acked_manual"`
	LastAck      time.Time `json:"last_ack,omitzero"`
	Dropped      int       `json:"dropped"` // counts dropped because the outbox was full
}

// Pending is one sealed batch in an OutboxStatus.
type Pending struct {
	ID        string    `json:"id"`
	Sealed    time.Time `json:"sealed"`
	Reports   int       `json:"reports"`
	Manual    int       `json:"manual"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	LastTry   time.Time `json:"last_try,omitzero"`
}

// Status reads the outbox.
func (o *Outbox) Status() (OutboxStatus, error) {
	var s OutboxStatus
	err := o.db.View(func(tx *bolt.Tx) error {
		k, err := secretKey(tx)
		if err != nil {
			return err
		}
		s.Key, s.KeyCreated = k.Public().String(), string(tx.Bucket(bucketKey).Get(keyCreated))
		ob := tx.Bucket(bucketOutbox)
		m, err := readMeta(ob)
		if err != nil {
			return err
		}
		s.Counts, s.Dropped = m.Counts, m.Dropped
		s.AckedBatches, s.AckedReports, s.AckedManual, s.LastAck = m.AckedBatches, m.AckedReports, m.AckedManual, m.LastAck
		ob.Bucket(subManual).ForEach(func(_, v []byte) error {
			var r Report
			if json.Unmarshal(v, &r) == nil {
				s.Manual = append(s.Manual, r)
			}
			return nil
		})
		s.Batches = pendings(ob.Bucket(subBatches))
		s.Refused = pendings(ob.Bucket(subRefused))
		return nil
	})
	return s, err
}

func pendings(b *bolt.Bucket) []Pending {
	var out []Pending
	b.ForEach(func(_, v []byte) error {
		var s sealed
		if json.Unmarshal(v, &s) == nil {
			out = append(out, s.Pending)
		}
		return nil
	})
	return out
}
