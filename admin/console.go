package admin

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/amane-dns/amane/admin/blockpage"
	"github.com/amane-dns/amane/appliance"
	"github.com/amane-dns/amane/internal/web"
)

//go:embed templates/*.html
var pagesFS embed.FS

//go:embed locales/*.json
var localesFS embed.FS

//go:embed static
var staticFS embed.FS

// Options are what the caller decides about a Console beyond the
// appliance it drives.
type Options struct {
	Log     *slog.Logger // nil: discarded
	Version string       // shown on the System page
	// Hosts are further names and addresses the console answers for,
	// beyond its listen addresses, loopback and "amane", "amane.lan" and
	// this machine's host name.
	Hosts []string
	// Throttle tunes login throttling (zero: internal/web's defaults).
	Throttle web.ThrottleConfig
}

// Console is the parents' console of one appliance. Its handler is safe
// for concurrent use.
type Console struct {
	app      *appliance.Appliance
	opts     Options
	router   *web.Router
	rd       *web.Renderer
	blocked  *blockpage.Page // served for any Host that is not the console's
	cats     *web.Catalogs
	assets   *web.Assets
	sessions *web.Sessions
	throttle *web.Throttle
	handler  http.Handler
	pwPath   string   // "" without a state_dir: the password lives in memHash
	ownDB    *bolt.DB // the sessions' file when the appliance has none; closed by Close

	mu      sync.Mutex // guards following
	memHash string     // the trial configuration's password, for this run only
	servers []*http.Server
}

// New builds the console of app, answering for the names and addresses
// of addrs (its listen addresses) besides opts.Hosts.
func New(app *appliance.Appliance, addrs []string, opts Options) (*Console, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	c := &Console{app: app, opts: opts, router: web.NewRouter()}
	db := app.StateDB()
	if sd := app.Config().StateDir; sd != "" {
		c.pwPath = PasswordPath(sd)
	}
	if db == nil {
		dir, err := os.MkdirTemp("", "amane-admin")
		if err != nil {
			return nil, err
		}
		if db, err = bolt.Open(filepath.Join(dir, "sessions.db"), 0o600, &bolt.Options{Timeout: time.Second}); err != nil {
			return nil, err
		}
		c.ownDB = db
	}
	var err error
	if c.sessions, err = web.NewSessions(db, web.SessionConfig{Bucket: "admin.sessions", Now: app.Now}); err != nil {
		return nil, err
	}
	if opts.Throttle.Now == nil {
		opts.Throttle.Now = app.Now
	}
	c.throttle = web.NewThrottle(opts.Throttle)
	locales, _ := fs.Sub(localesFS, "locales")
	if c.cats, err = web.NewCatalogs(locales); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	if c.assets, err = web.NewAssets(static); err != nil {
		return nil, err
	}
	pages, _ := fs.Sub(pagesFS, "templates")
	c.rd, err = web.NewRenderer(web.RendererConfig{
		Catalogs: c.cats, Assets: c.assets, Pages: pages, URL: c.router.URL, Home: "home",
		Nav: []web.NavItem{
			{Route: "home", Label: "nav.home"}, {Route: "devices", Label: "nav.devices"},
			{Route: "profiles", Label: "nav.profiles"}, {Route: "why", Label: "nav.why"},
			{Route: "report", Label: "nav.report"}, {Route: "system", Label: "nav.system"},
		},
		Logout: "logout", Log: opts.Log,
	})
	if err != nil {
		return nil, err
	}
	c.routes()
	// Any other Host is a blocked name answered with this appliance's
	// address (block_mode = "address"), or a DNS-rebinding page: both get
	// the block page, never the console.
	if c.blocked, err = blockpage.New(app, c.assets, app.Now); err != nil {
		return nil, err
	}
	hosts := web.NewHostCheck(allowedHosts(addrs, opts.Hosts), c.blocked)
	c.handler = web.Chain(c.router, c.lanOnly, hosts.Wrap, web.Headers)
	return c, nil
}

// Check parses the console's pages and the block page's in every
// language and escapes them (web.Renderer.Check). New leaves that to each
// language's first visit, so that an appliance at rest does not hold the
// parsed pages of three languages; tests call Check so that a broken
// template fails a test, not a parent's visit.
func (c *Console) Check() error { return errors.Join(c.rd.Check(), c.blocked.Check()) }

// Handler serves the console: the Host check, the security headers, then
// the routes.
func (c *Console) Handler() http.Handler { return c.handler }

// Routes lists every route, with whether it is public.
func (c *Console) Routes() []web.Route { return c.router.Routes() }

// lanOnly refuses a client that amane would not answer DNS for
// (server.allow): the console is for the home network, even when it
// listens on every interface of a machine that also faces the internet.
func (c *Console) lanOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.app.Handler().Admits(web.ClientAddr(r)) {
			http.Error(w, "this console serves the home network only", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHosts are the names and addresses the console answers for: a
// request naming anything else is a DNS-rebinding attempt or a blocked
// site's visitor, and is not the console's.
func allowedHosts(addrs, extra []string) []string {
	out := []string{"amane", "amane.lan", "localhost", "127.0.0.1", "::1"}
	if h, err := os.Hostname(); err == nil && h != "" {
		out = append(out, h, h+".lan", h+".local")
	}
	out = append(out, extra...)
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsUnspecified() {
			out = append(out, host)
			continue
		}
		// 0.0.0.0 or [::]: every address of this machine.
		ifAddrs, _ := net.InterfaceAddrs()
		for _, ia := range ifAddrs {
			if n, ok := ia.(*net.IPNet); ok {
				out = append(out, n.IP.String())
			}
		}
	}
	return out
}

// Serve listens on addrs and serves the console until Shutdown. A port
// it cannot take is an error before anything is served.
func (c *Console) Serve(addrs []string) error {
	var ls []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return fmt.Errorf("console: listening on %s: %w", a, err)
		}
		ls = append(ls, l)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range ls {
		srv := &http.Server{Handler: c.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
			ErrorLog: slog.NewLogLogger(c.opts.Log.Handler(), slog.LevelDebug)}
		c.servers = append(c.servers, srv)
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				c.opts.Log.Error("console stopped", "addr", l.Addr(), "err", err)
			}
		}()
	}
	return nil
}

// Shutdown stops the listeners, letting the requests in flight finish
// until ctx ends, then closes what the console opened.
func (c *Console) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	servers := c.servers
	c.servers = nil
	c.mu.Unlock()
	var errs []error
	for _, s := range servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	c.Close()
	return errors.Join(errs...)
}

// Close closes the sessions' own file, if the console opened one.
func (c *Console) Close() {
	if c.ownDB != nil {
		path := c.ownDB.Path()
		c.ownDB.Close()
		os.RemoveAll(filepath.Dir(path))
		c.ownDB = nil
	}
}

// lang is the language of r's page, for labels the catalogs of other
// packages hold (categories, apps).
func lang(r *http.Request) string { return string(web.Negotiate(r)) }

// joinLabels writes a list for a sentence.
func joinLabels(ls []string) string { return strings.Join(ls, ", ") }
