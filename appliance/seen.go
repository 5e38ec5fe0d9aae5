package appliance

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// seenBucket keeps when each device (by MAC, else by address) was first
// listed, so that Devices shows the newest first across restarts. It is
// written only when a device appears for the first time.
var seenBucket = []byte("devices.first_seen")

// stampFirstSeen fills each device's FirstSeen, recording the new ones.
func (a *Appliance) stampFirstSeen(devs []Device) {
	now := a.now()
	a.seenMu.Lock()
	defer a.seenMu.Unlock()
	if a.seen == nil {
		a.seen = map[string]time.Time{}
		if a.db != nil {
			a.db.View(func(tx *bolt.Tx) error {
				b := tx.Bucket(seenBucket)
				if b == nil {
					return nil
				}
				return b.ForEach(func(k, v []byte) error {
					var t time.Time
					if t.UnmarshalBinary(v) == nil {
						a.seen[string(k)] = t
					}
					return nil
				})
			})
		}
	}
	fresh := map[string]time.Time{}
	for i := range devs {
		key := devs[i].MAC
		if key == "" {
			key = devs[i].Addr
		}
		t, ok := a.seen[key]
		if !ok {
			t = now
			a.seen[key] = t
			fresh[key] = t
		}
		devs[i].FirstSeen = t
	}
	if len(fresh) == 0 || a.db == nil {
		return
	}
	err := a.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(seenBucket)
		if err != nil {
			return err
		}
		for k, t := range fresh {
			v, _ := t.MarshalBinary()
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		a.log.Warn("devices' first sighting not saved", "err", err)
	}
}
