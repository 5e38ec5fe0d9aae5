package reports

import (
	"slices"
	"strings"

	"github.com/amane-dns/amane/blocklist"
	bolt "go.etcd.io/bbolt"
)

// Stats are the figures the helpline publishes: reports by category, by
// age band and by month. Each row counts stored reports and the sum of
// their counts (a manual report counts 1; a daily count its lookups).
type Stats struct {
	ByCategory []StatRow `json:"by_category"` // in the taxonomy's order
	ByAgeBand  []StatRow `json:"by_age_band"` // in AgeBands order, then "none"
	ByMonth    []StatRow `json:"by_month"`    // YYYY-MM, oldest first
}

// StatRow is one line of a Stats table.
type StatRow struct {
	Key     string `json:"key"`
	Reports int    `json:"reports"`
	Manual  int    `json:"manual"` // of which manual reports
	Count   uint64 `json:"count"`
	Domains int    `json:"domains"` // distinct domains
}

// NoAgeBand is the age band row of reports that carry none.
const NoAgeBand = "none"

// Stats computes the statistics over every stored report.
func (s *BoltStore) Stats() (Stats, error) {
	type acc struct {
		StatRow
		domains map[string]bool
	}
	tables := [3]map[string]*acc{{}, {}, {}}
	err := s.db.View(func(tx *bolt.Tx) error {
		return eachReport(tx, "", func(r storedReport) error {
			band := r.AgeBand
			if band == "" {
				band = NoAgeBand
			}
			for i, key := range [3]string{r.Category, band, r.Day[:7]} {
				a := tables[i][key]
				if a == nil {
					a = &acc{StatRow: StatRow{Key: key}, domains: map[string]bool{}}
					tables[i][key] = a
				}
				a.Reports++
				a.Count += uint64(r.Count)
				if r.Kind == Manual {
					a.Manual++
				}
				a.domains[r.Domain] = true
				a.Domains = len(a.domains)
			}
			return nil
		})
	})
	if err != nil {
		return Stats{}, err
	}
	rows := func(m map[string]*acc) []StatRow {
		out := make([]StatRow, 0, len(m))
		for _, a := range m {
			out = append(out, a.StatRow)
		}
		return out
	}
	return NewStats(rows(tables[0]), rows(tables[1]), rows(tables[2])), nil
}

// NewStats returns the tables in their order: categories in the
// taxonomy's, age bands in AgeBands' then NoAgeBand, months oldest first.
func NewStats(byCategory, byAgeBand, byMonth []StatRow) Stats {
	sorted := func(rows []StatRow, order func(string) int) []StatRow {
		slices.SortFunc(rows, func(a, b StatRow) int {
			if d := order(a.Key) - order(b.Key); d != 0 {
				return d
			}
			return strings.Compare(a.Key, b.Key)
		})
		return rows
	}
	return Stats{
		ByCategory: sorted(byCategory, func(k string) int { c, _ := blocklist.ParseCategory(k); return int(c) }),
		ByAgeBand:  sorted(byAgeBand, ageBandOrder),
		ByMonth:    sorted(byMonth, func(string) int { return 0 }),
	}
}

func ageBandOrder(band string) int {
	if i := slices.Index(ageBands, band); i >= 0 {
		return i
	}
	return len(ageBands)
}
