package reports

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Role is what a console account may do. Roles are cumulative: a
// publisher does what an operator does, an admin what a publisher does.
type Role string

// The roles.
const (
	RoleOperator  Role = "operator"  // reads the reports and triages them
	RolePublisher Role = "publisher" // also publishes the feed
	RoleAdmin     Role = "admin"     // also manages the accounts
)

// rank orders the roles; 0 is no role.
func (r Role) rank() int {
	switch r {
	case RoleOperator:
		return 1
	case RolePublisher:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Includes reports whether r may do what want may.
func (r Role) Includes(want Role) bool { return r.rank() > 0 && r.rank() >= want.rank() }

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.rank() > 0 {
		return r, nil
	}
	return "", fmt.Errorf("role %q is not operator, publisher or admin", s)
}

// Account is one person who signs in to the operators' console.
type Account struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Hash    string    `json:"hash"` // the password's argon2id hash (web.HashPassword); never the password
	Created time.Time `json:"created"`
}

// ErrNoAccount is returned for an account name that does not exist.
var ErrNoAccount = errors.New("no such account")

// ErrAccountExists is returned by AddAccount for a name already taken.
var ErrAccountExists = errors.New("an account of this name exists")

var accountName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// CheckAccount refuses an account with a bad name, role or no hash.
func CheckAccount(a Account) error {
	if !accountName.MatchString(a.Name) {
		return fmt.Errorf("account name %q: want 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit", a.Name)
	}
	if _, err := ParseRole(string(a.Role)); err != nil {
		return err
	}
	if a.Hash == "" {
		return fmt.Errorf("account %q has no password hash", a.Name)
	}
	return nil
}
