package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
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
	Nav      []NavItem                                  // the menu a signed-in visitor sees
	Logout   string                                     // route name of the POST that ends a session; "" for none
	Log      *slog.Logger                               // where a failed render is told; nil for slog.Default()
}

// Renderer renders a console's pages inside the shared layout, in the
// language of each request. Immutable after NewRenderer; safe for
// concurrent use.
type Renderer struct {
	cfg   RendererConfig
	pages map[string]*template.Template // page name ("home") → layout + partials + page; never executed, only cloned
}

// NewRenderer parses every page of cfg.Pages with the layout. A template
// that does not parse is an error here, not at the first visit.
func NewRenderer(cfg RendererConfig) (*Renderer, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	rd := &Renderer{cfg: cfg, pages: map[string]*template.Template{}}
	base, err := template.New("").Funcs(rd.funcs(nil, nil, nil)).ParseFS(baseTemplates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the layout: %w", err)
	}
	partials, _ := fs.Glob(cfg.Pages, "_*.html")
	if len(partials) > 0 {
		if base, err = base.ParseFS(cfg.Pages, partials...); err != nil {
			return nil, fmt.Errorf("parsing partials: %w", err)
		}
	}
	files, err := fs.Glob(cfg.Pages, "*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if strings.HasPrefix(f, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(cfg.Pages, f)
		if err != nil {
			return nil, fmt.Errorf("parsing page %s: %w", f, err)
		}
		rd.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return rd, nil
}

// View is what a handler asks the Renderer to show.
type View struct {
	Page   string      // page name: the file name without .html
	Status int         // 0 is 200
	Data   any         // the page's own data, as .Data in the template
	Errors FieldErrors // problems to show next to their fields; nil for none
	Nav    string      // route name of the menu entry to mark current
}

// page is the dot of the layout and of every page template.
type page struct {
	Data   any
	Errors FieldErrors
	Nav    []navLink
	Logout string
	Langs  []langLink
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

// Render writes v's page in r's language (Negotiate). The menu and the
// CSRF token are shown only to a request that carries a session
// (SessionFrom). The page is rendered into a buffer first, so a template
// error is a clean 500, never half a page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, v View) {
	lang := Negotiate(r)
	RememberLang(w, r)
	loc := rd.cfg.Catalogs.For(lang)
	sess := SessionFrom(r.Context())
	p := page{Data: v.Data, Errors: v.Errors, Langs: langLinks(r, lang)}
	if sess != nil {
		p.Logout = rd.cfg.Logout
		for _, n := range rd.cfg.Nav {
			p.Nav = append(p.Nav, navLink{n, n.Route == v.Nav})
		}
	}
	t, ok := rd.pages[v.Page]
	var buf bytes.Buffer
	err := fmt.Errorf("no page %q", v.Page)
	if ok {
		t = template.Must(t.Clone()).Funcs(rd.funcs(loc, sess, v.Errors))
		err = t.ExecuteTemplate(&buf, "layout", p)
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

// funcs is the template func map. At parse time loc, sess and errs are
// nil: the functions only need to exist; each render binds them again.
func (rd *Renderer) funcs(loc *Localizer, sess *Session, errs FieldErrors) template.FuncMap {
	if loc == nil {
		loc = &Localizer{lang: English}
	}
	return template.FuncMap{
		"t":         loc.T,
		"plural":    loc.Plural,
		"clock":     loc.Clock,
		"until":     loc.Until,
		"weekday":   loc.Weekday,
		"number":    loc.Number,
		"duration":  loc.Duration,
		"lang":      func() Lang { return loc.lang },
		"dir":       func() string { return loc.lang.Dir() },
		"route":     func(name string, params ...string) string { return rd.cfg.URL(name, params...) },
		"asset":     func(name string) string { return rd.cfg.Assets.URL(name) },
		"csrfField": func() string { return CSRFField },
		"csrf": func() string {
			if sess == nil {
				return ""
			}
			return sess.CSRF
		},
		"fieldID": FieldID,
		"field": func(name, labelKey, typ string, value any, opts ...string) Field {
			f := Field{ID: FieldID(name), Name: name, Label: loc.T(labelKey), Type: typ, Value: value, Error: errs.For(name)}
			for _, o := range opts {
				switch k, v, _ := strings.Cut(o, "="); k {
				case "required":
					f.Required = true
				case "autocomplete":
					f.Autocomplete = v
				}
			}
			return f
		},
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
