package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var trailingWildcard = regexp.MustCompile(`\{[^}]*\.\.\.\}$`)

// Route is one registered route, as webtest walks them.
type Route struct {
	Name    string // for URL and the templates' route: "home", "device"
	Pattern string // the ServeMux pattern: "GET /devices/{id}"
	Public  bool   // served without a session: the login page, the assets
}

// Router is a ServeMux whose routes are mounted in groups, each group
// wrapped once by its middleware: authorization is decided where the group
// is made, never inside a handler, and Routes lists every route with
// whether it is public so that a test can prove the others refuse a
// request without a session (webtest.RequireSessionEverywhere).
type Router struct {
	mux    *http.ServeMux
	routes []Route
	byName map[string]string // name → path pattern ("/devices/{id}")
}

// NewRouter returns an empty Router.
func NewRouter() *Router {
	return &Router{mux: http.NewServeMux(), byName: map[string]string{}}
}

// Group is a set of routes behind the same middleware.
type Group struct {
	rt     *Router
	mw     []Middleware
	public bool
}

// Private returns a group of routes for signed-in visitors only. Its
// first middleware must refuse a request without a session (for example
// Sessions.Require); the rest (CSRF, Allow for a role) follow in order.
func (rt *Router) Private(require Middleware, mw ...Middleware) *Group {
	return &Group{rt: rt, mw: append([]Middleware{require}, mw...)}
}

// Public returns a group of routes served to anyone: the login page and
// its POST, the assets, the block page. Keep it short: every route here is
// what an attacker on the LAN can reach.
func (rt *Router) Public(mw ...Middleware) *Group {
	return &Group{rt: rt, mw: mw, public: true}
}

// Handle registers h under pattern ("POST /api/v1/pause"), wrapped in the
// group's middleware, and names it for URL. It panics on a name used twice,
// as ServeMux does on a pattern registered twice: both are programming
// errors that the first test finds.
func (g *Group) Handle(name, pattern string, h http.Handler) {
	if _, dup := g.rt.byName[name]; dup && name != "" {
		panic(fmt.Sprintf("web: route name %q registered twice", name))
	}
	g.rt.mux.Handle(pattern, Chain(h, g.mw...))
	g.rt.routes = append(g.rt.routes, Route{Name: name, Pattern: pattern, Public: g.public})
	if name != "" {
		_, p, ok := strings.Cut(pattern, " ")
		if !ok {
			p = pattern
		}
		if i := strings.Index(p, "/"); i > 0 { // a host in the pattern
			p = p[i:]
		}
		g.rt.byName[name] = p
	}
}

// HandleFunc is Handle for a function.
func (g *Group) HandleFunc(name, pattern string, h http.HandlerFunc) { g.Handle(name, pattern, h) }

// ServeHTTP serves the registered routes.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

// Routes returns every registered route, in registration order.
func (rt *Router) Routes() []Route { return append([]Route(nil), rt.routes...) }

// URL returns the path of the route called name, its wildcards filled from
// params given as pairs: URL("device", "id", "aa:bb") is "/devices/aa:bb".
// It panics on an unknown name or a wildcard left unfilled, so a template
// with a wrong link fails its first render in a test.
func (rt *Router) URL(name string, params ...string) string {
	p, ok := rt.byName[name]
	if !ok {
		panic(fmt.Sprintf("web: no route named %q", name))
	}
	p = strings.ReplaceAll(p, "{$}", "")
	for i := 0; i+1 < len(params); i += 2 {
		v := url.PathEscape(params[i+1])
		p = strings.ReplaceAll(p, "{"+params[i]+"}", v)
		p = strings.ReplaceAll(p, "{"+params[i]+"...}", v)
	}
	p = trailingWildcard.ReplaceAllString(p, "") // "/profiles/{name...}" may end at "/profiles/"
	if strings.Contains(p, "{") {
		panic(fmt.Sprintf("web: route %q needs parameters for %s", name, p))
	}
	return p
}
