package reports

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The audit log and the accounts in bbolt:
//
//	audit     domain 0x00 seq (8 bytes, big-endian) → AuditEntry; domain "" for acts on no domain
//	accounts  name → Account
//
// seq is the audit bucket's NextSequence, so a domain's history is one
// prefix scan, in order.
var (
	bucketAudit    = []byte("audit")
	bucketAccounts = []byte("accounts")
)

// appendAudit appends e to the log inside tx.
func appendAudit(tx *bolt.Tx, e AuditEntry) error {
	b, err := tx.CreateBucketIfNotExists(bucketAudit)
	if err != nil {
		return err
	}
	if e.Seq, err = b.NextSequence(); err != nil {
		return err
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(append([]byte(e.Domain), 0), e.Seq)
	return b.Put(k, raw)
}

// Audit returns the audit log of domain, oldest first.
func (s *BoltStore) Audit(domain string) ([]AuditEntry, error) {
	out := []AuditEntry{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if b == nil {
			return nil
		}
		prefix := append([]byte(domain), 0)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Next() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("reading the audit log of %q: %w", domain, err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Record appends e, an act on no triage, to the audit log.
func (s *BoltStore) Record(e AuditEntry) error {
	if err := checkRecord(e); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return appendAudit(tx, e) })
}

// checkRecord refuses to Record a triage action or an entry without author.
func checkRecord(e AuditEntry) error {
	switch e.Action {
	case ActionConfirm, ActionReject, ActionRetract:
		return fmt.Errorf("audit: %s is recorded by the triage itself", e.Action)
	case "":
		return fmt.Errorf("audit: an entry needs its action")
	}
	if e.By == "" {
		return fmt.Errorf("audit: %s needs its author", e.Action)
	}
	return nil
}

// AddAccount adds a console account and records d.
func (s *BoltStore) AddAccount(a Account, d Decision) error {
	if err := CheckAccount(a); err != nil {
		return err
	}
	if err := CheckDecision(d); err != nil {
		return err
	}
	a.Created = a.Created.UTC()
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketAccounts)
		if err != nil {
			return err
		}
		if b.Get([]byte(a.Name)) != nil {
			return fmt.Errorf("%q: %w", a.Name, ErrAccountExists)
		}
		raw, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(a.Name), raw); err != nil {
			return err
		}
		e := d.entry(ActionAccountAdd, "", "")
		e.Detail = a.Name + " " + string(a.Role)
		return appendAudit(tx, e)
	})
}

// RemoveAccount removes the account called name and records d.
func (s *BoltStore) RemoveAccount(name string, d Decision) error {
	if err := CheckDecision(d); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if b == nil || b.Get([]byte(name)) == nil {
			return fmt.Errorf("%q: %w", name, ErrNoAccount)
		}
		if err := b.Delete([]byte(name)); err != nil {
			return err
		}
		e := d.entry(ActionAccountRemove, "", "")
		e.Detail = name
		return appendAudit(tx, e)
	})
}

// Account returns the account called name.
func (s *BoltStore) Account(name string) (Account, error) {
	var a Account
	err := s.db.View(func(tx *bolt.Tx) error {
		var raw []byte
		if b := tx.Bucket(bucketAccounts); b != nil {
			raw = b.Get([]byte(name))
		}
		if raw == nil {
			return fmt.Errorf("%q: %w", name, ErrNoAccount)
		}
		return json.Unmarshal(raw, &a)
	})
	return a, err
}

// Accounts returns every account, by name.
func (s *BoltStore) Accounts() ([]Account, error) {
	out := []Account{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var a Account
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}
