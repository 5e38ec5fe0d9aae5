package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/amane-dns/amane/blocklist"
	bolt "go.etcd.io/bbolt"
)

// TriageStatus is where a reported domain stands in the operators' triage.
type TriageStatus string

// The triage states. A domain no operator has looked at is New; only a
// Confirmed one goes into the feed; a Retracted one leaves it at the next
// publication.
const (
	StatusNew       TriageStatus = "new"
	StatusConfirmed TriageStatus = "confirmed"
	StatusRejected  TriageStatus = "rejected"
	StatusRetracted TriageStatus = "retracted"
)

// ParseStatus returns the status named s.
func ParseStatus(s string) (TriageStatus, error) {
	switch st := TriageStatus(s); st {
	case StatusNew, StatusConfirmed, StatusRejected, StatusRetracted:
		return st, nil
	}
	return "", fmt.Errorf("status %q is not new, confirmed, rejected or retracted", s)
}

// Triage is the operators' decision on one domain.
type Triage struct {
	Status   TriageStatus `json:"status"`
	Category string       `json:"category,omitempty"` // set when confirmed (and kept when retracted)
	Reason   string       `json:"reason,omitempty"`   // set when rejected
	At       time.Time    `json:"at,omitzero"`        // when the status was set; zero for New
}

// ErrNotReported is returned when an operator acts on a domain that no
// report names: most likely a typing mistake.
var ErrNotReported = errors.New("no report names this domain")

func getTriage(tx *bolt.Tx, name string) (Triage, error) {
	raw := tx.Bucket(bucketTriage).Get([]byte(name))
	if raw == nil {
		return Triage{Status: StatusNew}, nil
	}
	var t Triage
	if err := json.Unmarshal(raw, &t); err != nil {
		return Triage{}, fmt.Errorf("reading the triage of %q: %w", name, err)
	}
	return t, nil
}

// setTriage applies change to name's triage, if name was reported, and
// appends d as action to the audit log in the same transaction.
func (s *BoltStore) setTriage(name, action string, d Decision, change func(*Triage) error) (Triage, error) {
	if err := CheckDecision(d); err != nil {
		return Triage{}, err
	}
	var t Triage
	err := s.db.Update(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketReports).Cursor().Seek(append([]byte(name), 0)); k == nil || string(domainOf(k)) != name {
			return fmt.Errorf("%q: %w", name, ErrNotReported)
		}
		var err error
		if t, err = getTriage(tx, name); err != nil {
			return err
		}
		if err := change(&t); err != nil {
			return fmt.Errorf("%q is %s: %w", name, t.Status, err)
		}
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketTriage).Put([]byte(name), raw); err != nil {
			return err
		}
		return appendAudit(tx, d.entry(action, name, t.Category))
	})
	return t, err
}

// Confirm marks name as abuse of category: it goes into the next feed.
func (s *BoltStore) Confirm(name, category string, d Decision) (Triage, error) {
	if err := CheckConfirm(category); err != nil {
		return Triage{}, err
	}
	return s.setTriage(name, ActionConfirm, d, func(t *Triage) error { return ApplyConfirm(t, category, d.At) })
}

// Reject marks name as not abuse, with the operator's reason. A confirmed
// domain must be retracted first, so that leaving the feed is explicit.
func (s *BoltStore) Reject(name string, d Decision) (Triage, error) {
	if err := CheckReject(d.Reason); err != nil {
		return Triage{}, err
	}
	return s.setTriage(name, ActionReject, d, func(t *Triage) error { return ApplyReject(t, d.Reason, d.At) })
}

// Retract takes a confirmed domain out of the feed from its next version.
func (s *BoltStore) Retract(name string, d Decision) (Triage, error) {
	return s.setTriage(name, ActionRetract, d, func(t *Triage) error { return ApplyRetract(t, d.At) })
}

// The triage rules, for every Store: Check* refuses bad input before the
// store is touched, Apply* changes the current triage or says why not.

// CheckConfirm refuses a category that is not a category id.
func CheckConfirm(category string) error {
	if c, err := blocklist.ParseCategory(category); err != nil || c.String() != category {
		return fmt.Errorf("category %q is not a category id", category)
	}
	return nil
}

// ApplyConfirm confirms t as abuse of category.
func ApplyConfirm(t *Triage, category string, now time.Time) error {
	*t = Triage{Status: StatusConfirmed, Category: category, At: now.UTC()}
	return nil
}

// CheckReject refuses a reason that is not a note.
func CheckReject(reason string) error {
	if err := CheckNote(reason); err != nil {
		return fmt.Errorf("reason: %w", err)
	}
	return nil
}

// ApplyReject rejects t, unless it is confirmed: leaving the feed must be
// an explicit retraction.
func ApplyReject(t *Triage, reason string, now time.Time) error {
	if t.Status == StatusConfirmed {
		return errors.New("retract it first")
	}
	*t = Triage{Status: StatusRejected, Reason: reason, At: now.UTC()}
	return nil
}

// ApplyRetract retracts a confirmed t.
func ApplyRetract(t *Triage, now time.Time) error {
	if t.Status != StatusConfirmed {
		return errors.New("only a confirmed domain can be retracted")
	}
	t.Status, t.At = StatusRetracted, now.UTC()
	return nil
}

// Confirmed returns the confirmed domains by category, each list sorted:
// what the next feed version carries.
func (s *BoltStore) Confirmed() (map[string][]string, error) {
	out := map[string][]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTriage).ForEach(func(k, v []byte) error {
			var t Triage
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("reading the triage of %q: %w", k, err)
			}
			if t.Status == StatusConfirmed {
				out[t.Category] = append(out[t.Category], string(k))
			}
			return nil
		})
	})
	for _, names := range out {
		slices.Sort(names) // bbolt's key order already, but say so
	}
	return out, err
}
