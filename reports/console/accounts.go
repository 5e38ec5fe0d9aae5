package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

type accountsData struct {
	Accounts []reports.Account
	Roles    []reports.Role
	Name     string // what was typed, shown again when refused
	Role     string
	Me       string
	History  []reports.AuditEntry // the latest account changes, newest first
}

func (c *Console) accounts(w http.ResponseWriter, r *http.Request) {
	c.showAccounts(w, r, http.StatusOK, accountsData{}, nil)
}

func (c *Console) showAccounts(w http.ResponseWriter, r *http.Request, status int, d accountsData, errs web.FieldErrors) {
	var err error
	if d.Accounts, err = c.o.Store.Accounts(); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.History, err = recent(c.o.Store, reports.ActionAccountAdd, reports.ActionAccountRemove); err != nil {
		c.fail(w, r, err)
		return
	}
	d.Roles, d.Me = []reports.Role{reports.RoleOperator, reports.RolePublisher, reports.RoleAdmin}, who(r)
	c.page(w, r, web.View{Page: "accounts", Nav: "accounts", Status: status, Errors: errs, Data: d})
}

// addAccount adds an account with a password the admin gives; the new
// operator should change it (by `user remove` and `user add`, for now).
func (c *Console) addAccount(w http.ResponseWriter, r *http.Request) {
	d := accountsData{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role")}
	pw := r.PostFormValue("password")
	a := reports.Account{Name: d.Name, Role: reports.Role(d.Role), Hash: "-", Created: c.o.Now()}
	var errs []error
	if err := reports.CheckAccount(a); err != nil {
		field := "name"
		if _, rerr := reports.ParseRole(d.Role); rerr != nil {
			field = "role"
		}
		errs = append(errs, fielderr.New(field, "%v", err))
	}
	if len(pw) < 10 {
		errs = append(errs, fielderr.New("password", "%s", c.render[reports.RoleOperator].Localizer(r).T("console.password_short")))
	}
	if len(errs) == 0 {
		var err error
		if a.Hash, err = web.HashPassword(pw); err != nil {
			c.fail(w, r, err)
			return
		}
		if err := c.o.Store.AddAccount(a, reports.Decision{By: who(r), At: c.o.Now()}); err != nil {
			errs = append(errs, fielderr.New("name", "%v", err))
		}
	}
	if len(errs) > 0 {
		c.showAccounts(w, r, http.StatusUnprocessableEntity, d, web.Fields(errors.Join(errs...)))
		return
	}
	http.Redirect(w, r, c.router.URL("accounts"), http.StatusSeeOther)
}

// removeAccount removes an account and ends its sessions. An admin cannot
// remove their own account: someone must be left to manage the others.
func (c *Console) removeAccount(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if name == who(r) {
		c.showAccounts(w, r, http.StatusUnprocessableEntity, accountsData{},
			web.FieldErrors{{Error: c.render[reports.RoleOperator].Localizer(r).T("console.remove_self")}})
		return
	}
	if err := c.o.Store.RemoveAccount(name, reports.Decision{By: who(r), At: c.o.Now()}); err != nil {
		c.showAccounts(w, r, http.StatusUnprocessableEntity, accountsData{}, web.FieldErrors{{Error: err.Error()}})
		return
	}
	c.o.Sessions.DeleteAccount(name) //nolint:errcheck // current() ends them at their next request anyway
	http.Redirect(w, r, c.router.URL("accounts"), http.StatusSeeOther)
}
