package web_test

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/amane-dns/amane/internal/fielderr"
	"github.com/amane-dns/amane/internal/web"
)

//go:embed testdata/pages testdata/locales
var sampleFS embed.FS

// sample is a console as small as a test can make it, built the way the
// parents' and the operators' consoles are: the routes in a public and a
// private group, the pages in the shared layout.
type sample struct {
	handler  http.Handler
	router   *web.Router
	sessions *web.Sessions
	throttle *web.Throttle
	hash     string // the password's hash
	paused   []string
	clock    time.Time
	dbPath   string
}

const sampleHost = "amane.lan"

func newSample(t testing.TB) *sample {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "state.db")
	db, err := bolt.Open(dbPath, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &sample{clock: time.Date(2026, 12, 7, 21, 30, 0, 0, time.UTC), dbPath: dbPath}
	now := func() time.Time { return s.clock }
	if s.sessions, err = web.NewSessions(db, web.SessionConfig{Bucket: "admin.sessions", Now: now}); err != nil {
		t.Fatal(err)
	}
	s.throttle = web.NewThrottle(web.ThrottleConfig{Now: now})
	if s.hash, err = web.HashPassword("correct horse"); err != nil {
		t.Fatal(err)
	}
	pages, _ := fs.Sub(sampleFS, "testdata/pages")
	locales, _ := fs.Sub(sampleFS, "testdata/locales")
	cats, err := web.NewCatalogs(locales)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := web.NewAssets()
	if err != nil {
		t.Fatal(err)
	}
	s.router = web.NewRouter()
	rd, err := web.NewRenderer(web.RendererConfig{
		Catalogs: cats, Assets: assets, Pages: pages, URL: s.router.URL,
		Home:   "home",
		Nav:    []web.NavItem{{Route: "home", Label: "nav.home"}, {Route: "devices", Label: "nav.devices"}, {Route: "profiles", Label: "nav.profiles"}},
		Logout: "logout",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rd.Check(); err != nil {
		t.Fatal(err)
	}

	pub := s.router.Public(web.RememberLang, web.CSRF)
	pub.Handle("assets", "GET "+web.AssetPrefix, assets)
	pub.HandleFunc("login", "GET /login", func(w http.ResponseWriter, r *http.Request) {
		rd.Render(w, r, web.View{Page: "login"})
	})
	pub.HandleFunc("login_post", "POST /login", func(w http.ResponseWriter, r *http.Request) {
		keys := []string{"addr:" + web.ClientAddr(r).String(), "account:parent"}
		if wait := s.throttle.Wait(keys...); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
			loc := rd.Localizer(r)
			rd.Render(w, r, web.View{Page: "login", Status: http.StatusTooManyRequests,
				Errors: web.FieldErrors{{Field: "password", Error: loc.T("login.throttled", loc.Duration(wait.Truncate(time.Minute)+time.Minute))}}})
			return
		}
		if ok, _ := web.CheckPassword(s.hash, r.PostFormValue("password")); !ok {
			s.throttle.Fail(keys...)
			rd.Render(w, r, web.View{Page: "login", Status: http.StatusUnauthorized,
				Errors: web.FieldErrors{{Field: "password", Error: rd.Localizer(r).T("login.wrong")}}})
			return
		}
		s.throttle.Succeed(keys...)
		sess, err := s.sessions.Create("parent", "parent")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.sessions.SetCookie(w, r, sess)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})

	priv := s.router.Private(s.sessions.Require, web.RememberLang, web.CSRF)
	home := func(w http.ResponseWriter, r *http.Request, status int, errs web.FieldErrors) {
		data := sampleHome(s.clock)
		if m := r.PostFormValue("minutes"); m != "" {
			data["Minutes"] = m // a refused form shows what was typed
		}
		rd.Render(w, r, web.View{Page: "home", Nav: "home", Status: status, Errors: errs, Data: data})
	}
	priv.HandleFunc("home", "GET /{$}", func(w http.ResponseWriter, r *http.Request) { home(w, r, 0, nil) })
	priv.HandleFunc("devices", "GET /devices", func(w http.ResponseWriter, r *http.Request) { home(w, r, 0, nil) })
	priv.HandleFunc("profiles", "GET /profiles/{name...}", func(w http.ResponseWriter, r *http.Request) { home(w, r, 0, nil) })
	priv.HandleFunc("grant", "POST /grant/{target}", func(w http.ResponseWriter, r *http.Request) {})
	priv.HandleFunc("pause", "POST /pause/{target}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.pause(r.PathValue("target"), r.PostFormValue("minutes")); err != nil {
			home(w, r, http.StatusUnprocessableEntity, web.Fields(err))
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	priv.HandleFunc("logout", "POST /logout", func(w http.ResponseWriter, r *http.Request) {
		s.sessions.Delete(web.SessionFrom(r.Context()).ID)
		s.sessions.ClearCookie(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	priv.HandleFunc("api_session", "GET /api/v1/session", func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusOK, map[string]string{"csrf": web.SessionFrom(r.Context()).CSRF})
	})
	priv.HandleFunc("api_pause", "POST /api/v1/pause", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Target  string `json:"target"`
			Minutes string `json:"minutes"`
		}
		if err := web.DecodeJSON(r, &req); err != nil {
			web.WriteJSONError(w, http.StatusBadRequest, err)
			return
		}
		if err := s.pause(req.Target, req.Minutes); err != nil {
			web.WriteJSONError(w, http.StatusUnprocessableEntity, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, map[string]string{"paused": req.Target})
	})

	blockPage := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "blocked: "+r.Host, http.StatusForbidden)
	})
	s.handler = web.Chain(s.router, web.NewHostCheck([]string{sampleHost, "127.0.0.1", "::1"}, blockPage).Wrap, web.Headers)
	return s
}

// pause is the sample's one domain operation, validated as a Config's
// Validate is: errors name their field.
func (s *sample) pause(target, minutes string) error {
	var errs []error
	if target == "" {
		errs = append(errs, fielderr.New("target", "name a device or a profile"))
	}
	if n, err := strconv.Atoi(minutes); err != nil || n < 1 || n > 24*60 {
		errs = append(errs, fielderr.New("minutes", "%q is not a number of minutes from 1 to 1440", minutes))
	}
	if len(errs) == 0 {
		s.paused = append(s.paused, target)
	}
	return errors.Join(errs...)
}

type sampleChild struct {
	ID, Name, Budget string
	Devices, Blocked int
	New              bool
	Bedtime, Paused  time.Time
	Used, Limit      time.Duration
}

func sampleHome(now time.Time) map[string]any {
	tomorrow7 := time.Date(now.Year(), now.Month(), now.Day()+1, 7, 0, 0, 0, now.Location())
	return map[string]any{
		"Now":     now,
		"Minutes": "30",
		"Children": []sampleChild{
			{ID: "yasmine", Name: "Yasmine", Budget: "sample.budget_games", Devices: 2, Blocked: 12, Bedtime: tomorrow7, Used: 55 * time.Minute, Limit: time.Hour},
			{ID: "adam", Name: "Adam", Budget: "sample.budget_games", Devices: 1, Blocked: 0, New: true, Paused: now.Add(45 * time.Minute), Used: 20 * time.Minute, Limit: 90 * time.Minute},
			{ID: "salma", Name: "Salma", Budget: "sample.budget_video", Devices: 3, Blocked: 2, Used: 2 * time.Hour, Limit: 2 * time.Hour},
		},
	}
}

// login signs the sample's parent in and returns the session cookie.
func (s *sample) login(t testing.TB) (*http.Cookie, *web.Session) {
	t.Helper()
	sess, err := s.sessions.Create("parent", "parent")
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "amane_session", Value: sess.ID}, sess
}

func hasAll(s string, subs ...string) (missing []string) {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			missing = append(missing, sub)
		}
	}
	return missing
}
