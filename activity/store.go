package activity

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// hoursBucket holds one sub-bucket per hour, named by the hour's number
// since 1970 in big-endian (so that they sort by time and a retention
// deletes a whole bucket: AdGuard Home's stats units do the same); each
// maps a device ("name", or "@address" when unnamed) to its encoded Hour.
var hoursBucket = []byte("activity.hours")

func hourName(h uint32) []byte { return binary.BigEndian.AppendUint32(nil, h) }

// readHour reads hk's aggregate back, nil when there is none.
func (l *Log) readHour(hk hourKey) *Hour {
	if l.db == nil {
		return nil
	}
	var h *Hour
	l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(hoursBucket).Bucket(hourName(hk.hour))
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(hk.dev.String())); v != nil {
			h, _ = decodeHour(v) // a corrupt record starts again from zero
		}
		return nil
	})
	return h
}

// Flush writes the aggregates that changed, in one transaction, forgets
// those of past hours once written, and deletes the hours past the
// retention. Run calls it; a test may.
func (l *Log) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	current := unixHour(now)
	dirty := false
	for _, h := range l.hours {
		dirty = dirty || h.dirty
	}
	if l.db != nil && dirty {
		cutoff := unixHour(now.Add(-l.cfg.Retention))
		err := l.db.Update(func(tx *bolt.Tx) error {
			top := tx.Bucket(hoursBucket)
			for hk, h := range l.hours {
				if !h.dirty || hk.hour <= cutoff {
					continue
				}
				b, err := top.CreateBucketIfNotExists(hourName(hk.hour))
				if err != nil {
					return err
				}
				if err := b.Put([]byte(hk.dev.String()), h.encode()); err != nil {
					return err
				}
			}
			return pruneLocked(top, cutoff)
		})
		if err != nil {
			l.log.Warn("activity not written", "err", err) // kept in memory: the next flush tries again
			return
		}
		l.flushed = now
	}
	l.last = nil
	for hk, h := range l.hours {
		h.dirty = false
		// Past hours are in bbolt now; without a database the current
		// hour is all there is (and all a restart loses).
		if hk.hour < current && l.db != nil || hk.hour+1 < current {
			delete(l.hours, hk)
		}
	}
}

// pruneLocked deletes the hours at or before cutoff, whole buckets at a time.
func pruneLocked(top *bolt.Bucket, cutoff uint32) error {
	var old [][]byte
	c := top.Cursor()
	end := hourName(cutoff)
	for k, _ := c.First(); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.Next() {
		old = append(old, bytes.Clone(k))
	}
	for _, k := range old {
		if err := top.DeleteBucket(k); err != nil {
			return err
		}
	}
	return nil
}

// eachHour calls f with every aggregate from..to (hours, inclusive), from
// bbolt overlaid with what is not written yet.
func (l *Log) eachHourLocked(from, to uint32, f func(hour uint32, h *Hour)) error {
	type seenKey struct {
		hour uint32
		dev  string
	}
	seen := map[seenKey]bool{}
	for hk, h := range l.hours {
		if hk.hour >= from && hk.hour <= to {
			seen[seenKey{hk.hour, hk.dev.String()}] = true
			f(hk.hour, h)
		}
	}
	if l.db == nil {
		return nil
	}
	return l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(hoursBucket).Cursor()
		end := hourName(to)
		for k, _ := c.Seek(hourName(from)); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.Next() {
			hour := binary.BigEndian.Uint32(k)
			b := tx.Bucket(hoursBucket).Bucket(k)
			if b == nil {
				continue
			}
			err := b.ForEach(func(dev, v []byte) error {
				if seen[seenKey{hour, string(dev)}] { // memory is newer
					return nil
				}
				h, err := decodeHour(v)
				if err != nil {
					return nil // one bad record costs only itself
				}
				h.Device = string(dev)
				f(hour, h)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// hourStart is the time an hour number starts.
func hourStart(h uint32) time.Time { return time.Unix(int64(h)*3600, 0) }
