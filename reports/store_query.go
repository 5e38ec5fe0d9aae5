package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	bolt "go.etcd.io/bbolt"
)

// Filter selects the reports an aggregation counts; its zero value selects
// every report. A domain none of whose reports is selected is left out.
type Filter struct {
	Category string       `json:"category,omitempty"` // a category id
	Since    string       `json:"since,omitempty"`    // first day, YYYY-MM-DD, inclusive
	Until    string       `json:"until,omitempty"`    // last day, YYYY-MM-DD, inclusive
	Status   TriageStatus `json:"status,omitempty"`   // the domain's triage status
	Kind     Kind         `json:"kind,omitempty"`
}

// Validate returns the first problem with f, naming the filter.
func (f Filter) Validate() error {
	if f.Category != "" {
		if c, err := blocklist.ParseCategory(f.Category); err != nil || c.String() != f.Category {
			return fmt.Errorf("category: %q is not a category id", f.Category)
		}
	}
	for name, d := range map[string]string{"since": f.Since, "until": f.Until} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			return fmt.Errorf("%s: %q is not a day (YYYY-MM-DD)", name, d)
		}
	}
	if f.Status != "" {
		if _, err := ParseStatus(string(f.Status)); err != nil {
			return err
		}
	}
	if f.Kind != "" && !f.Kind.valid() {
		return fmt.Errorf("kind: %q is not manual, watch or mandatory", f.Kind)
	}
	return nil
}

func (f Filter) matches(r Report) bool {
	return (f.Category == "" || r.Category == f.Category) &&
		(f.Since == "" || r.Day >= f.Since) && (f.Until == "" || r.Day <= f.Until) &&
		(f.Kind == "" || r.Kind == f.Kind)
}

// Aggregate is what the reports say about one domain.
type Aggregate struct {
	Domain     string            `json:"domain"`
	Appliances int               `json:"appliances"` // distinct keys that reported it
	Reports    int               `json:"reports"`    // stored reports
	Count      uint64            `json:"count"`      // the sum of their counts
	Kinds      map[Kind]uint64   `json:"kinds"`      // count by kind
	Categories map[string]uint64 `json:"categories"` // count by reported category
	AgeBands   map[string]uint64 `json:"age_bands"`  // count by age band ("" is none given)
	First      string            `json:"first"`      // first day seen, YYYY-MM-DD
	Last       string            `json:"last"`       // last day seen
	Notes      []string          `json:"notes,omitempty"`
	Triage     Triage            `json:"triage"`

	keys map[string]bool
}

func (a *Aggregate) add(r storedReport) {
	if a.keys == nil {
		a.keys = map[string]bool{}
		a.Kinds, a.Categories, a.AgeBands = map[Kind]uint64{}, map[string]uint64{}, map[string]uint64{}
		a.First, a.Last = r.Day, r.Day
	}
	a.keys[r.Key] = true
	a.Appliances = len(a.keys)
	a.Reports++
	a.Count += uint64(r.Count)
	a.Kinds[r.Kind] += uint64(r.Count)
	a.Categories[r.Category] += uint64(r.Count)
	a.AgeBands[r.AgeBand] += uint64(r.Count)
	a.First, a.Last = min(a.First, r.Day), max(a.Last, r.Day)
	if r.Note != "" {
		a.Notes = append(a.Notes, r.Day+": "+r.Note)
	}
}

// Domains returns the aggregate of every domain with reports that f
// selects, in domain order, without the notes (see Domain).
func (s *BoltStore) Domains(f Filter) ([]Aggregate, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var out []Aggregate
	err := s.db.View(func(tx *bolt.Tx) error {
		var cur *Aggregate
		flush := func() error {
			if cur == nil || cur.Reports == 0 {
				return nil
			}
			t, err := getTriage(tx, cur.Domain)
			if err != nil {
				return err
			}
			if f.Status == "" || t.Status == f.Status {
				cur.Triage, cur.Notes = t, nil
				out = append(out, *cur)
			}
			return nil
		}
		err := eachReport(tx, "", func(r storedReport) error {
			if cur == nil || cur.Domain != r.Domain {
				if err := flush(); err != nil {
					return err
				}
				cur = &Aggregate{Domain: r.Domain}
			}
			if f.matches(r.Report) {
				cur.add(r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
	return out, err
}

// Domain returns the aggregate of every report of name, with the notes of
// its manual reports; ErrNotReported if there is none.
func (s *BoltStore) Domain(name string) (Aggregate, error) {
	a := Aggregate{Domain: name}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := eachReport(tx, name, func(r storedReport) error { a.add(r); return nil }); err != nil {
			return err
		}
		if a.Reports == 0 {
			return fmt.Errorf("%q: %w", name, ErrNotReported)
		}
		var err error
		a.Triage, err = getTriage(tx, name)
		return err
	})
	return a, err
}

// Reports returns every report of name, by day, then by batch id and
// place in the batch.
func (s *BoltStore) Reports(name string) ([]Report, error) {
	out := []Report{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachReport(tx, name, func(r storedReport) error { out = append(out, r.Report); return nil })
	})
	slices.SortStableFunc(out, func(a, b Report) int { return strings.Compare(a.Day, b.Day) })
	return out, err
}
