// Package console owns the helpline's operators' console: the web pages
// where operators triage the reports (the queue, a domain's page with its
// history from the audit log), publishers publish the feed, admins manage
// the accounts, and everyone reads the statistics and downloads exports,
// in French, Arabic and English. It is built on internal/web (sessions,
// CSRF, Host allow-list, throttling, layout, catalogs) and reads and
// writes only through reports.Store, so it runs on either store; every
// decision goes through reports.Decide, the command line's code path.
package console

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

//go:embed pages/*.html locales/*.json static/*
var files embed.FS

// Publisher publishes the feed; the command's feed code implements it, on
// a directory for bbolt and under the advisory lock for PostgreSQL.
type Publisher interface {
	// Published returns the confirmed domains, by category, of the newest
	// published feed version: what the next one is compared with.
	Published() (map[string][]string, error)
	// Publish signs and publishes the next version and returns its number.
	Publish(ctx context.Context) (int64, error)
}

// Options are what New needs.
type Options struct {
	Store     reports.Store    // never nil
	Sessions  *web.Sessions    // the console's sessions; never nil
	Publisher Publisher        // nil: the publish page says publishing is not configured
	Reporter  reports.Reporter // who the helpline is, in XARF exports
	Hosts     []string         // the Host allow-list (Config.AllowedHosts)
	Log       *slog.Logger     // nil for slog.Default()
	Now       func() time.Time // nil for time.Now
}

// Console is the operators' console. Its handler is immutable after New.
type Console struct {
	o        Options
	router   *web.Router
	throttle *web.Throttle
	render   map[reports.Role]*web.Renderer // each role's menu shows only what it may open
	handler  http.Handler
	dummy    string // a hash checked for unknown accounts, so that they take as long as known ones
}

// New builds the console's routes and pages.
func New(o Options) (*Console, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Console{o: o, router: web.NewRouter(), throttle: web.NewThrottle(web.ThrottleConfig{Now: o.Now}), render: map[reports.Role]*web.Renderer{}}
	var err error
	if c.dummy, err = web.HashPassword("not an account's password"); err != nil {
		return nil, err
	}
	locales, _ := fs.Sub(files, "locales")
	pages, _ := fs.Sub(files, "pages")
	static, _ := fs.Sub(files, "static")
	cats, err := web.NewCatalogs(locales)
	if err != nil {
		return nil, err
	}
	assets, err := web.NewAssets(static)
	if err != nil {
		return nil, err
	}
	c.routes(assets)
	nav := []web.NavItem{{Route: "queue", Label: "nav.queue"}, {Route: "stats", Label: "nav.statistics"}, {Route: "exports", Label: "nav.exports"}}
	for _, role := range []reports.Role{reports.RoleOperator, reports.RolePublisher, reports.RoleAdmin} {
		if role == reports.RolePublisher {
			nav = append(nav, web.NavItem{Route: "publish", Label: "nav.publish"})
		}
		if role == reports.RoleAdmin {
			nav = append(nav, web.NavItem{Route: "accounts", Label: "nav.accounts"})
		}
		c.render[role], err = web.NewRenderer(web.RendererConfig{
			Catalogs: cats, Assets: assets, Pages: pages, URL: c.router.URL,
			Home: "queue", Nav: append([]web.NavItem(nil), nav...), Logout: "logout", Log: o.Log,
		})
		if err != nil {
			return nil, err
		}
		// A helpline server has memory to spare, and a broken page must
		// stop it at start-up, not meet an operator at 3 a.m.
		if err := c.render[role].Check(); err != nil {
			return nil, err
		}
	}
	c.handler = web.Chain(c.router, web.NewHostCheck(o.Hosts, nil).Wrap, web.Headers)
	return c, nil
}

// Handler returns the console: Host allow-list, security headers, routes.
func (c *Console) Handler() http.Handler { return c.handler }

// Routes returns every route, for webtest.RequireSessionEverywhere.
func (c *Console) Routes() []web.Route { return c.router.Routes() }

// routes mounts the routes in groups; each group's authorization is its
// middleware, applied once here and never checked inside a handler.
func (c *Console) routes(assets *web.Assets) {
	pub := c.router.Public(web.RememberLang, web.CSRF)
	pub.Handle("assets", "GET "+web.AssetPrefix, assets)
	pub.HandleFunc("login", "GET /login", c.loginPage)
	pub.HandleFunc("login_post", "POST /login", c.login)

	private := func(r reports.Role) *web.Group {
		return c.router.Private(c.o.Sessions.Require, c.current, web.RememberLang, web.CSRF,
			web.Allow(func(s *web.Session) bool { return reports.Role(s.Role).Includes(r) }))
	}
	op := private(reports.RoleOperator)
	op.HandleFunc("queue", "GET /{$}", c.queue)
	op.HandleFunc("domain", "GET /domains/{name}", c.domain)
	op.HandleFunc("decide", "POST /domains/{name}", c.decide)
	op.HandleFunc("stats", "GET /stats", c.stats)
	op.HandleFunc("exports", "GET /exports", c.exports)
	op.HandleFunc("export_csv", "GET /exports/reports.csv", c.exportCSV)
	op.HandleFunc("export_xarf", "GET /exports/reports.xarf.json", c.exportXARF)
	op.HandleFunc("logout", "POST /logout", c.logout)

	pubr := private(reports.RolePublisher)
	pubr.HandleFunc("publish", "GET /publish", c.publishPage)
	pubr.HandleFunc("publish_post", "POST /publish", c.publish)

	admin := private(reports.RoleAdmin)
	admin.HandleFunc("accounts", "GET /accounts", c.accounts)
	admin.HandleFunc("account_add", "POST /accounts", c.addAccount)
	admin.HandleFunc("account_remove", "POST /accounts/{name}/remove", c.removeAccount)
}

// current ends a session whose account was removed, or whose role
// changed, since login (by another admin, or `amane-helpline user`): the
// role a session carries must be the account's role now.
func (c *Console) current(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := web.SessionFrom(r.Context())
		a, err := c.o.Store.Account(sess.Account)
		if err != nil && !errors.Is(err, reports.ErrNoAccount) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err != nil || string(a.Role) != sess.Role {
			c.o.Sessions.DeleteAccount(sess.Account) //nolint:errcheck // the cookie is cleared anyway
			c.o.Sessions.ClearCookie(w, r)
			http.Redirect(w, r, c.router.URL("login"), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// page renders v with the menu of the visitor's role.
func (c *Console) page(w http.ResponseWriter, r *http.Request, v web.View) {
	role := reports.RoleOperator
	if s := web.SessionFrom(r.Context()); s != nil {
		if rr, err := reports.ParseRole(s.Role); err == nil {
			role = rr
		}
	}
	c.render[role].Render(w, r, v)
}

// fail shows an error the visitor cannot fix by changing a form.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	c.o.Log.Error("console", "path", r.URL.Path, "err", err)
	http.Error(w, c.render[reports.RoleOperator].Localizer(r).T("error.internal"), http.StatusInternalServerError)
}

// who is the signed-in account, for the audit log.
func who(r *http.Request) string { return web.SessionFrom(r.Context()).Account }
