package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/amane-dns/amane/reports"
	"github.com/jackc/pgx/v5"
)

// where returns the SQL condition on reports (aliased r) that f selects,
// and its arguments, numbered from $1.
func where(f reports.Filter) (string, []any) {
	conds, args := []string{"true"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.Category != "" {
		add("r.category = $%d", f.Category)
	}
	if f.Since != "" {
		add("r.day >= $%d", f.Since)
	}
	if f.Until != "" {
		add("r.day <= $%d", f.Until)
	}
	if f.Kind != "" {
		add("r.kind = $%d", string(f.Kind))
	}
	return strings.Join(conds, " AND "), args
}

// aggregate reads the selected reports grouped by domain, with the maps
// built from one row per (domain, kind, category, age band).
func (s *Store) aggregate(ctx context.Context, cond string, args []any) (map[string]*reports.Aggregate, []string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.domain, r.kind, r.category, r.age_band, count(*), sum(r.count), min(r.day), max(r.day),
			d.appliances, d.reports
		FROM reports r
		JOIN (SELECT r.domain, count(DISTINCT r.key) AS appliances, count(*) AS reports
			FROM reports r WHERE `+cond+` GROUP BY r.domain) d ON d.domain = r.domain
		WHERE `+cond+`
		GROUP BY r.domain, r.kind, r.category, r.age_band, d.appliances, d.reports
		ORDER BY r.domain COLLATE "C"`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	aggs := map[string]*reports.Aggregate{}
	var order []string
	for rows.Next() {
		var domain, kind, cat, band, first, last string
		var n, count, appliances, total int64
		if err := rows.Scan(&domain, &kind, &cat, &band, &n, &count, &first, &last, &appliances, &total); err != nil {
			return nil, nil, err
		}
		a := aggs[domain]
		if a == nil {
			na := reports.NewAggregate(domain)
			a = &na
			a.Appliances, a.Reports, a.First, a.Last = int(appliances), int(total), first, last
			aggs[domain] = a
			order = append(order, domain)
		}
		a.Count += uint64(count)
		a.Kinds[reports.Kind(kind)] += uint64(count)
		a.Categories[cat] += uint64(count)
		a.AgeBands[band] += uint64(count)
		a.First, a.Last = min(a.First, first), max(a.Last, last)
	}
	return aggs, order, rows.Err()
}

// Domains implements reports.Store.
func (s *Store) Domains(f reports.Filter) ([]reports.Aggregate, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	cond, args := where(f)
	aggs, order, err := s.aggregate(ctx, cond, args)
	if err != nil {
		return nil, err
	}
	triage, err := s.triageOf(ctx, order)
	if err != nil {
		return nil, err
	}
	var out []reports.Aggregate
	for _, d := range order {
		a := aggs[d]
		a.Triage = triage[d]
		if f.Status == "" || a.Triage.Status == f.Status {
			out = append(out, *a)
		}
	}
	return out, nil
}

// Domain implements reports.Store.
func (s *Store) Domain(name string) (reports.Aggregate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	aggs, _, err := s.aggregate(ctx, "r.domain = $1", []any{name})
	if err != nil {
		return reports.Aggregate{}, err
	}
	a := aggs[name]
	if a == nil {
		return reports.Aggregate{}, fmt.Errorf("%q: %w", name, reports.ErrNotReported)
	}
	rows, err := s.pool.Query(ctx, `SELECT day || ': ' || note FROM reports WHERE domain = $1 AND note <> '' ORDER BY batch, idx`, name)
	if err != nil {
		return reports.Aggregate{}, err
	}
	if a.Notes, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return reports.Aggregate{}, err
	}
	if len(a.Notes) == 0 {
		a.Notes = nil
	}
	t, err := s.triageOf(ctx, []string{name})
	a.Triage = t[name]
	return *a, err
}

// triageOf returns the triage of each of names; New for those with none.
func (s *Store) triageOf(ctx context.Context, names []string) (map[string]reports.Triage, error) {
	out := make(map[string]reports.Triage, len(names))
	for _, n := range names {
		out[n] = reports.Triage{Status: reports.StatusNew}
	}
	rows, err := s.pool.Query(ctx, `SELECT domain, status, category, reason, at FROM triage WHERE domain = ANY($1)`, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var t reports.Triage
		var at *time.Time
		if err := rows.Scan(&d, &t.Status, &t.Category, &t.Reason, &at); err != nil {
			return nil, err
		}
		if at != nil {
			t.At = at.UTC()
		}
		out[d] = t
	}
	return out, rows.Err()
}

// setTriage applies change to name's triage, if name was reported. The
// row is locked for the change: two operators deciding at once on two
// servers are applied one after the other, each seeing the other's.
func (s *Store) setTriage(name, action string, d reports.Decision, change func(*reports.Triage) error) (reports.Triage, error) {
	if err := reports.CheckDecision(d); err != nil {
		return reports.Triage{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var t reports.Triage
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM reports WHERE domain = $1 LIMIT 1`, name).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%q: %w", name, reports.ErrNotReported)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO triage (domain, status) VALUES ($1, 'new') ON CONFLICT DO NOTHING`, name); err != nil {
			return err
		}
		var at *time.Time
		t = reports.Triage{}
		if err := tx.QueryRow(ctx, `SELECT status, category, reason, at FROM triage WHERE domain = $1 FOR UPDATE`, name).
			Scan(&t.Status, &t.Category, &t.Reason, &at); err != nil {
			return err
		}
		if at != nil {
			t.At = at.UTC()
		}
		if err := change(&t); err != nil {
			return fmt.Errorf("%q is %s: %w", name, t.Status, err)
		}
		var newAt *time.Time
		if !t.At.IsZero() {
			newAt = &t.At
		}
		if _, err := tx.Exec(ctx, `UPDATE triage SET status = $2, category = $3, reason = $4, at = $5 WHERE domain = $1`,
			name, string(t.Status), t.Category, t.Reason, newAt); err != nil {
			return err
		}
		return appendAudit(ctx, tx, reports.NewAuditEntry(d, action, name, t.Category))
	})
	return t, err
}

// Confirm implements reports.Store.
func (s *Store) Confirm(name, category string, d reports.Decision) (reports.Triage, error) {
	if err := reports.CheckConfirm(category); err != nil {
		return reports.Triage{}, err
	}
	return s.setTriage(name, reports.ActionConfirm, d, func(t *reports.Triage) error { return reports.ApplyConfirm(t, category, d.At) })
}

// Reject implements reports.Store.
func (s *Store) Reject(name string, d reports.Decision) (reports.Triage, error) {
	if err := reports.CheckReject(d.Reason); err != nil {
		return reports.Triage{}, err
	}
	return s.setTriage(name, reports.ActionReject, d, func(t *reports.Triage) error { return reports.ApplyReject(t, d.Reason, d.At) })
}

// Retract implements reports.Store.
func (s *Store) Retract(name string, d reports.Decision) (reports.Triage, error) {
	return s.setTriage(name, reports.ActionRetract, d, func(t *reports.Triage) error { return reports.ApplyRetract(t, d.At) })
}

// Confirmed implements reports.Store.
func (s *Store) Confirmed() (map[string][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT category, domain FROM triage WHERE status = 'confirmed' ORDER BY category, domain COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var c, d string
		if err := rows.Scan(&c, &d); err != nil {
			return nil, err
		}
		out[c] = append(out[c], d)
	}
	return out, rows.Err()
}

// Stats implements reports.Store from daily_stats alone: its rows are a
// domain's per day, however many appliances reported it.
func (s *Store) Stats() (reports.Stats, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var tables [3][]reports.StatRow
	for i, key := range []string{"category", "CASE age_band WHEN '' THEN '" + reports.NoAgeBand + "' ELSE age_band END", "substr(day, 1, 7)"} {
		rows, err := s.pool.Query(ctx, `SELECT `+key+`, sum(reports), sum(manual), sum(count), count(DISTINCT domain)
			FROM daily_stats GROUP BY 1`)
		if err != nil {
			return reports.Stats{}, err
		}
		tables[i] = []reports.StatRow{}
		for rows.Next() {
			var r reports.StatRow
			var n, m, c int64
			if err := rows.Scan(&r.Key, &n, &m, &c, &r.Domains); err != nil {
				rows.Close()
				return reports.Stats{}, err
			}
			r.Reports, r.Manual, r.Count = int(n), int(m), uint64(c)
			tables[i] = append(tables[i], r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return reports.Stats{}, err
		}
	}
	return reports.NewStats(tables[0], tables[1], tables[2]), nil
}

// Reports implements reports.Store.
func (s *Store) Reports(name string) ([]reports.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT kind, domain, category, day, count, note, age_band FROM reports
		WHERE domain = $1 ORDER BY day COLLATE "C", batch COLLATE "C", idx`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []reports.Report{}
	for rows.Next() {
		var r reports.Report
		var count int64
		if err := rows.Scan(&r.Kind, &r.Domain, &r.Category, &r.Day, &count, &r.Note, &r.AgeBand); err != nil {
			return nil, err
		}
		r.Count = uint32(count)
		out = append(out, r)
	}
	return out, rows.Err()
}
