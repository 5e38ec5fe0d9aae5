package alert

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// seenBucket maps the addresses new-device alerts knew to when they were
// first seen (unix seconds, big-endian).
var seenBucket = []byte("alert.seen")

// Learning is how long after the first start every address counts as
// known: an appliance just installed would otherwise alert once for each
// device of the house.
const Learning = time.Hour

// BoltSeen keeps the devices seen in bbolt, so that a restart does not
// alert again for each of them.
type BoltSeen struct {
	db    *bolt.DB
	learn time.Time // before it, everything is known
	now   func() time.Time
}

// NewBoltSeen opens the store in db; a new store learns for Learning.
func NewBoltSeen(db *bolt.DB, now func() time.Time) (*BoltSeen, error) {
	s := &BoltSeen{db: db, now: now}
	err := db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(seenBucket) == nil {
			s.learn = now().Add(Learning)
		}
		_, err := tx.CreateBucketIfNotExists(seenBucket)
		return err
	})
	return s, err
}

// Seen reports whether key was seen before (or the store still learns).
func (s *BoltSeen) Seen(key string) bool {
	known := s.now().Before(s.learn)
	s.db.View(func(tx *bolt.Tx) error {
		known = known || tx.Bucket(seenBucket).Get([]byte(key)) != nil
		return nil
	})
	return known
}

// MarkSeen remembers key. A failed write costs at most one alert more.
func (s *BoltSeen) MarkSeen(key string, at time.Time) {
	s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(seenBucket).Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(at.Unix())))
	})
}
