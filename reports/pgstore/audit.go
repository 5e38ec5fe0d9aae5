package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/amane-dns/amane/reports"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// appendAudit appends e to the audit table; seq comes from the table.
func appendAudit(ctx context.Context, q execer, e reports.AuditEntry) error {
	_, err := q.Exec(ctx, `INSERT INTO audit (at, by_name, action, domain, category, reason, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.At.UTC(), e.By, e.Action, e.Domain, e.Category, e.Reason, e.Detail)
	return err
}

// Audit implements reports.Store.
func (s *Store) Audit(domain string) ([]reports.AuditEntry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT seq, at, by_name, action, domain, category, reason, detail
		FROM audit WHERE domain = $1 ORDER BY seq`, domain)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []reports.AuditEntry{}
	for rows.Next() {
		var e reports.AuditEntry
		var seq int64
		if err := rows.Scan(&seq, &e.At, &e.By, &e.Action, &e.Domain, &e.Category, &e.Reason, &e.Detail); err != nil {
			return nil, err
		}
		e.Seq, e.At = uint64(seq), e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Record implements reports.Store.
func (s *Store) Record(e reports.AuditEntry) error {
	switch e.Action {
	case reports.ActionConfirm, reports.ActionReject, reports.ActionRetract:
		return fmt.Errorf("audit: %s is recorded by the triage itself", e.Action)
	case "":
		return errors.New("audit: an entry needs its action")
	}
	if e.By == "" {
		return fmt.Errorf("audit: %s needs its author", e.Action)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	return appendAudit(ctx, s.pool, e)
}

// AddAccount implements reports.Store.
func (s *Store) AddAccount(a reports.Account, d reports.Decision) error {
	if err := reports.CheckAccount(a); err != nil {
		return err
	}
	if err := reports.CheckDecision(d); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO accounts (name, role, hash, created) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO NOTHING`, a.Name, string(a.Role), a.Hash, a.Created.UTC())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%q: %w", a.Name, reports.ErrAccountExists)
		}
		e := reports.NewAuditEntry(d, reports.ActionAccountAdd, "", "")
		e.Detail = a.Name + " " + string(a.Role)
		return appendAudit(ctx, tx, e)
	})
}

// RemoveAccount implements reports.Store.
func (s *Store) RemoveAccount(name string, d reports.Decision) error {
	if err := reports.CheckDecision(d); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM accounts WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%q: %w", name, reports.ErrNoAccount)
		}
		e := reports.NewAuditEntry(d, reports.ActionAccountRemove, "", "")
		e.Detail = name
		return appendAudit(ctx, tx, e)
	})
}

// Account implements reports.Store.
func (s *Store) Account(name string) (reports.Account, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var a reports.Account
	err := s.pool.QueryRow(ctx, `SELECT name, role, hash, created FROM accounts WHERE name = $1`, name).
		Scan(&a.Name, &a.Role, &a.Hash, &a.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("%q: %w", name, reports.ErrNoAccount)
	}
	a.Created = a.Created.UTC()
	return a, err
}

// Accounts implements reports.Store.
func (s *Store) Accounts() ([]reports.Account, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT name, role, hash, created FROM accounts ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []reports.Account{}
	for rows.Next() {
		var a reports.Account
		var created time.Time
		if err := rows.Scan(&a.Name, &a.Role, &a.Hash, &created); err != nil {
			return nil, err
		}
		a.Created = created.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
