package reports

import "time"

// Store is the helpline's database: received batches kept once by id, as
// evidence; their reports, queried by domain; the operators' triage; and
// the statistics. Two implement it: BoltStore (embedded, one process; the
// default) and pgstore.Store (PostgreSQL, shared by any number of intake
// servers). storetest.Run is the behaviour both must have.
type Store interface {
	// Receive stores b (already verified), with its exact body and
	// signature header as evidence, and returns the acknowledgement to
	// send; it is durable when Receive returns. A batch whose id is stored
	// already is acknowledged as a Duplicate with the count first accepted,
	// and stores nothing; under another key it is ErrIDConflict.
	Receive(b Batch, body []byte, sig string, now time.Time) (Ack, error)
	// Evidence returns the exact body and signature header of a stored
	// batch, and when it was received.
	Evidence(id string) (body []byte, sig string, received time.Time, err error)
	// Batches returns how many batches are stored.
	Batches() (int, error)
	// Domains returns the aggregate of every domain with reports that f
	// selects, in domain order, without the notes.
	Domains(f Filter) ([]Aggregate, error)
	// Domain returns the aggregate of every report of name, with the notes
	// of its manual reports; ErrNotReported if there is none.
	Domain(name string) (Aggregate, error)
	// Reports returns every report of name, by day then as received, with
	// their notes; none (and no error) when nobody reported it.
	Reports(name string) ([]Report, error)
	// Confirm marks name as abuse of category: it goes into the next feed.
	// Each triage method appends d to the audit log in the same
	// transaction as the change, and only if the change was made.
	Confirm(name, category string, d Decision) (Triage, error)
	// Reject marks name as not abuse, with d.Reason; a
	// confirmed domain must be retracted first.
	Reject(name string, d Decision) (Triage, error)
	// Retract takes a confirmed domain out of the next feed version.
	Retract(name string, d Decision) (Triage, error)
	// Audit returns the audit log of domain, oldest first; of the acts on
	// no domain (publications, accounts) when domain is "". The log has no
	// method to edit or delete an entry, by design: it is evidence.
	Audit(domain string) ([]AuditEntry, error)
	// Record appends e, an act on no triage (a publication), to the audit
	// log; the store sets its Seq. Triage actions are refused: they are
	// recorded by Confirm, Reject and Retract only.
	Record(e AuditEntry) error
	// AddAccount adds a console account (ErrAccountExists if its name is
	// taken) and records d.
	AddAccount(a Account, d Decision) error
	// RemoveAccount removes an account (ErrNoAccount if none) and records d.
	RemoveAccount(name string, d Decision) error
	// Account returns the account called name, or ErrNoAccount.
	Account(name string) (Account, error)
	// Accounts returns every account, by name.
	Accounts() ([]Account, error)
	// Confirmed returns the confirmed domains by category, each sorted.
	Confirmed() (map[string][]string, error)
	// Stats returns the reports by category, age band and month.
	Stats() (Stats, error)
	// KeyLimiter returns the per-key rate limit of the intake: perHour
	// batches an hour with burst, over every server that shares the store.
	// tracked bounds what an in-memory limiter remembers.
	KeyLimiter(perHour, burst, tracked int) KeyLimiter
	// Close releases the store.
	Close() error
}

// KeyLimiter rate-limits batches per appliance key.
type KeyLimiter interface {
	// Take takes one batch from key's allowance at now; when there is
	// none it returns false and how long until there is.
	Take(key string, now time.Time) (ok bool, wait time.Duration, err error)
}

var (
	_ Store      = (*BoltStore)(nil)
	_ KeyLimiter = memoryLimiter{}
)

// KeyLimiter returns an in-memory limiter: a BoltStore has one process.
func (s *BoltStore) KeyLimiter(perHour, burst, tracked int) KeyLimiter {
	return memoryLimiter{newRateLimiter(perHour, burst, tracked)}
}

// memoryLimiter is a rateLimiter as a KeyLimiter.
type memoryLimiter struct{ l *rateLimiter }

func (m memoryLimiter) Take(key string, now time.Time) (bool, time.Duration, error) {
	ok, wait := m.l.take(key, now)
	return ok, wait, nil
}

// NewAggregate returns the aggregate of domain before any report: what
// another Store implementation fills.
func NewAggregate(domain string) Aggregate {
	return Aggregate{Domain: domain, Kinds: map[Kind]uint64{}, Categories: map[string]uint64{}, AgeBands: map[string]uint64{}}
}
