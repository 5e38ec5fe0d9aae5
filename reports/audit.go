package reports

import (
	"errors"
	"fmt"
	"time"
)

// Decision is one person's act on a domain, as the audit log keeps it:
// who, when and why. The triage methods of a Store take one and append it
// to the audit log in the same transaction as the change, so that the log
// and the triage never disagree.
type Decision struct {
	By     string    // who: a console account's name, or the OS user of a command line; required
	At     time.Time // when; stored in UTC
	Reason string    // why, in the operator's words; required to reject
}

// The audit log's actions. The first three are decisions on a domain; the
// others concern no domain (AuditEntry.Domain is "").
const (
	ActionConfirm       = "confirm"
	ActionReject        = "reject"
	ActionRetract       = "retract"
	ActionPublish       = "publish"
	ActionAccountAdd    = "account.add"
	ActionAccountRemove = "account.remove"
)

// AuditEntry is one line of the audit log. Entries are appended, never
// edited nor deleted: no Store has a method that would.
type AuditEntry struct {
	Seq      uint64    `json:"seq"` // its place in the log, set by the store; increasing
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Action   string    `json:"action"`
	Domain   string    `json:"domain,omitempty"`   // "" for an act on no domain
	Category string    `json:"category,omitempty"` // a confirmation's category
	Reason   string    `json:"reason,omitempty"`
	Detail   string    `json:"detail,omitempty"` // a publication's version, an account's name and role
}

// CheckDecision refuses a decision without its author, or with a reason
// that is not a note.
func CheckDecision(d Decision) error {
	if d.By == "" {
		return errors.New("a decision needs its author")
	}
	if err := CheckNote(d.Reason); err != nil {
		return fmt.Errorf("reason: %w", err)
	}
	return nil
}

// entry returns the audit entry of d as action on domain.
func (d Decision) entry(action, domain, category string) AuditEntry {
	return AuditEntry{At: d.At.UTC(), By: d.By, Action: action, Domain: domain, Category: category, Reason: d.Reason}
}

// NewAuditEntry returns the audit entry of d as action on domain, for
// another Store implementation.
func NewAuditEntry(d Decision, action, domain, category string) AuditEntry {
	return d.entry(action, domain, category)
}

// TriageRequest is one triage decision as the command line and the
// console send it: both go through Decide.
type TriageRequest struct {
	Action   string `json:"action"` // confirm, reject, retract
	Name     string `json:"name"`
	Category string `json:"category,omitempty"` // to confirm
	Reason   string `json:"reason,omitempty"`
	By       string `json:"by,omitempty"` // set by the caller from the session or the OS user
}

// Decide applies q to s at now: the one code path of every triage
// decision, from the command line or the console.
func Decide(s Store, q TriageRequest, now time.Time) (Triage, error) {
	d := Decision{By: q.By, At: now, Reason: q.Reason}
	switch q.Action {
	case ActionConfirm:
		return s.Confirm(q.Name, q.Category, d)
	case ActionReject:
		return s.Reject(q.Name, d)
	case ActionRetract:
		return s.Retract(q.Name, d)
	}
	return Triage{}, fmt.Errorf("unknown action %q: want confirm, reject or retract", q.Action)
}
