package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
)

//go:embed templates/*.html
var baseTemplates embed.FS

// NavItem is one entry of a console's main menu.
type NavItem struct {
	Route string // route name, as given to Router.Handle
	Label string // catalog key: "nav.home"
}

// RendererConfig is what a console gives NewRenderer.
type RendererConfig struct {
	Catalogs *Catalogs                                  // never nil
	Assets   *Assets                                    // never nil
	Pages    fs.FS                                      // the console's *.html: each page defines "title" and "content"; files named _*.html are partials every page sees
	URL      func(name string, params ...string) string // route names to paths: Router.URL
	Home     string                                     // route name the brand links to ("home"); "" for no link (the block page)
	Nav      []NavItem                                  // the menu a signed-in visitor sees
	Logout   string                                     // route name of the POST that ends a session; "" for none
	Log      *slog.Logger                               // where a failed render is told; nil for slog.Default()
}

// Renderer renders a console's pages inside the shared layout, in the
// language of each request. Each language's pages are parsed on the first
// request in that language; Check parses them all. Safe for concurrent use.
type Renderer struct {
	cfg   RendererConfig
	pages map[Lang]func() (map[string]*template.Template, error) // language → its pages by name ("home"), parsed on first call; fixed after NewRenderer
}

// NewRenderer returns a Renderer of the pages of cfg.Pages. Each
// language's set is parsed with the layout and that language's func map,
// once, on its first use: html/template escapes a template on its first
// execution, and doing that per request (a clone to bind the request's
// language) cost 4 ms a page. Parsing every language at start-up instead
// kept three copies of every page's parse trees, megabytes of an
// appliance's heap at rest, for a console that most days no one opens
// (issue 14). A page that does not parse is then an error of the pages
// that use it, shown as a 500 and logged; Check finds it before that,
// in a console's tests or at its start.
func NewRenderer(cfg RendererConfig) (*Renderer, error) {
	if cfg.Catalogs == nil || cfg.Assets == nil || cfg.Pages == nil {
		return nil, errors.New("a renderer needs catalogs, assets and pages")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	rd := &Renderer{cfg: cfg, pages: map[Lang]func() (map[string]*template.Template, error){}}
	for _, l := range Langs {
		loc := cfg.Catalogs.For(l)
		rd.pages[l] = sync.OnceValues(func() (map[string]*template.Template, error) {
			pages, err := rd.parse(loc)
			if err != nil {
				return nil, fmt.Errorf("parsing the pages in %s: %w", l, err)
			}
			return pages, nil
		})
	}
	return rd, nil
}

// Check parses the pages in every language and escapes each page for
// HTML, as its first render would, and returns every problem found: a
// template that does not parse, or whose output html/template cannot
// escape (say, an action in an unquoted attribute that ends in another
// context). Tests call it, and a console that must fail at start-up
// rather than at a visit. Problems that only data shows (a missing
// field) are the tests' that render each page.
func (rd *Renderer) Check() error {
	var errs []error
	for _, l := range Langs {
		pages, err := rd.pages[l]()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loc := rd.cfg.Catalogs.For(l)
		for _, name := range slices.Sorted(maps.Keys(pages)) {
			// Escaping happens at the first execution, before any
			// output; what the empty page then fails on is data's.
			err := pages[name].ExecuteTemplate(io.Discard, "layout", page{loc: loc})
			var escErr *template.Error
			if errors.As(err, &escErr) {
				errs = append(errs, fmt.Errorf("page %s in %s: %w", name, l, err))
			}
		}
	}
	return errors.Join(errs...)
}

// parse parses the layout, the partials and each page with loc's func
// map: one language's pages, by name.
func (rd *Renderer) parse(loc *Localizer) (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(rd.funcs(loc)).ParseFS(baseTemplates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the layout: %w", err)
	}
	partials, _ := fs.Glob(rd.cfg.Pages, "_*.html")
	if len(partials) > 0 {
		if base, err = base.ParseFS(rd.cfg.Pages, partials...); err != nil {
			return nil, fmt.Errorf("parsing partials: %w", err)
		}
	}
	files, err := fs.Glob(rd.cfg.Pages, "*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		if strings.HasPrefix(f, "_") {
			continue
		}
		t, err := base.Clone() // never executed: no error
		if err == nil {
			t, err = t.ParseFS(rd.cfg.Pages, f)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing page %s: %w", f, err)
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return pages, nil
}

// View is what a handler asks the Renderer to show.
type View struct {
	Page   string      // page name: the file name without .html
	Status int         // 0 is 200
	Data   any         // the page's own data, as .Data in the template
	Errors FieldErrors // problems to show next to their fields; nil for none
	Nav    string      // route name of the menu entry to mark current
}

// page is the dot of the layout and of every page template ($ inside a
// range).
type page struct {
	Data   any
	Errors FieldErrors
	CSRF   string // the session's token; "" without a session
	Nav    []navLink
	Logout string
	Home   string
	Langs  []langLink
	loc    *Localizer
}

// Field builds what the layout's "field" template draws, with the field's
// error from the page's Errors:
// {{ template "field" ($.Field "password" "login.password" "password" "" "required" "autocomplete=current-password") }}.
func (p page) Field(name, labelKey, typ string, value any, opts ...string) Field {
	f := Field{ID: FieldID(name), Name: name, Label: p.loc.T(labelKey), Type: typ, Value: value, Error: p.Errors.For(name)}
	for _, o := range opts {
		switch k, v, _ := strings.Cut(o, "="); k {
		case "required":
			f.Required = true
		case "autocomplete":
			f.Autocomplete = v
		}
	}
	return f
}

type navLink struct {
	NavItem
	Current bool
}

type langLink struct {
	Lang    Lang
	Name    string
	URL     string
	Current bool
}

// Render writes v's page in r's language (Negotiate); it sets no cookie
// (RememberLang does, for the consoles). The menu and the
// CSRF token are shown only to a request that carries a session
// (SessionFrom). The page is rendered into a buffer first, so a template
// error is a clean 500, never half a page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, v View) {
	lang := Negotiate(r)
	loc := rd.cfg.Catalogs.For(lang)
	sess := SessionFrom(r.Context())
	p := page{Data: v.Data, Errors: v.Errors, Home: rd.cfg.Home, Langs: langLinks(r, lang), loc: loc}
	if sess != nil {
		p.CSRF = sess.CSRF
		p.Logout = rd.cfg.Logout
		for _, n := range rd.cfg.Nav {
			p.Nav = append(p.Nav, navLink{n, n.Route == v.Nav})
		}
	}
	var buf bytes.Buffer
	pages, err := rd.pages[loc.Lang()]()
	if err == nil {
		if t, ok := pages[v.Page]; ok {
			err = t.ExecuteTemplate(&buf, "layout", p)
		} else {
			err = fmt.Errorf("no page %q", v.Page)
		}
	}
	if err != nil {
		rd.cfg.Log.Error("rendering a page", "page", v.Page, "err", err)
		http.Error(w, loc.T("error.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", string(lang))
	status := v.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Localizer returns the Localizer of r's language (Negotiate), for a
// handler that words a problem before it renders or answers.
func (rd *Renderer) Localizer(r *http.Request) *Localizer {
	return rd.cfg.Catalogs.For(Negotiate(r))
}

func langLinks(r *http.Request, cur Lang) []langLink {
	out := make([]langLink, 0, len(Langs))
	for _, l := range Langs {
		q := r.URL.Query()
		q.Set("lang", string(l))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		out = append(out, langLink{Lang: l, Name: l.Name(), URL: u.String(), Current: l == cur})
	}
	return out
}

// funcs is the template func map of loc's language. What depends on the
// request (the CSRF token, the errors) is on the page instead: $.CSRF,
// $.Field.
func (rd *Renderer) funcs(loc *Localizer) template.FuncMap {
	return template.FuncMap{
		"t":         loc.T,
		"plural":    loc.Plural,
		"clock":     loc.Clock,
		"until":     loc.Until,
		"weekday":   loc.Weekday,
		"number":    loc.Number,
		"duration":  loc.Duration,
		"lang":      loc.Lang,
		"dir":       loc.lang.Dir,
		"route":     func(name string, params ...string) string { return rd.cfg.URL(name, params...) },
		"asset":     func(name string) string { return rd.cfg.Assets.URL(name) },
		"csrfField": func() string { return CSRFField },
		"fieldID":   FieldID,
	}
}

// Field is what the layout's "field" template draws: a label, an input,
// and the field's error beside it, tied by aria-describedby.
type Field struct {
	ID, Name, Label, Type string
	Value                 any
	Error                 string
	Required              bool
	Autocomplete          string
}

// FieldID turns a field's key ("profile.schedule[0].from") into an HTML id
// ("f-profile-schedule-0-from") that a summary can link to.
func FieldID(key string) string {
	var b strings.Builder
	b.WriteString("f-")
	dash := false
	for _, c := range key {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
