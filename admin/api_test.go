package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/amane-dns/amane/policy"
)

// TestTheAPIPausesAChildAndDNSFollows drives the JSON API as a script
// would: login, the CSRF token, then a pause that the very next DNS
// decision for the child's phone obeys, and a resume that lifts it.
func TestTheAPIPausesAChildAndDNSFollows(t *testing.T) {
	tc := newTestConsole(t)
	w := tc.req(http.MethodPost, "/api/v1/login", strings.NewReader(`{"password": "`+testPassword+`"}`),
		func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
	if w.Code != http.StatusOK || len(w.Result().Cookies()) != 1 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	cookie := w.Result().Cookies()[0]
	var s struct{ CSRF string }
	if code := tc.api(t, cookie, nil, http.MethodGet, "/api/v1/session", "", &s); code != http.StatusOK || s.CSRF == "" {
		t.Fatalf("session: %d %+v", code, s)
	}
	sess, _ := tc.sessions.Lookup(cookie.Value)

	var devs struct {
		Devices []struct{ Addr, Name, Profile string }
	}
	if code := tc.api(t, cookie, nil, http.MethodGet, "/api/v1/devices", "", &devs); code != http.StatusOK || len(devs.Devices) != 3 {
		t.Fatalf("devices: %d %+v", code, devs)
	}

	if d := tc.decide("192.168.1.30", "example.org"); d.Action != policy.Allow {
		t.Fatalf("before the pause: %+v", d)
	}
	var out map[string]any
	if code := tc.api(t, cookie, nil, http.MethodPost, "/api/v1/pause", `{"target": "yasmine", "duration": "30m"}`, &out); code != http.StatusForbidden {
		t.Fatalf("a pause without the CSRF token: %d %v", code, out)
	}
	if code := tc.api(t, cookie, sess, http.MethodPost, "/api/v1/pause", `{"target": "yasmine", "duration": "30m"}`, &out); code != http.StatusOK {
		t.Fatalf("pause: %d %v", code, out)
	}
	if d := tc.decide("192.168.1.30", "example.org"); d.Action != policy.Block || d.Why != policy.ByPause {
		t.Fatalf("after the pause, the child's phone gets %+v", d)
	}
	if code := tc.api(t, cookie, sess, http.MethodPost, "/api/v1/resume", `{"target": "yasmine"}`, &out); code != http.StatusOK {
		t.Fatalf("resume: %d %v", code, out)
	}
	if d := tc.decide("192.168.1.30", "example.org"); d.Action != policy.Allow {
		t.Fatalf("after the resume: %+v", d)
	}

	var bad struct{ Field, Error string }
	if code := tc.api(t, cookie, sess, http.MethodPost, "/api/v1/pause", `{"target": "yasmine", "duration": "soon"}`, &bad); code != http.StatusUnprocessableEntity || bad.Field != "duration" {
		t.Fatalf("a bad duration: %d %+v", code, bad)
	}

	var usage struct{ Usage []struct{ Device string } }
	if code := tc.api(t, cookie, sess, http.MethodPost, "/api/v1/grant", `{"device": "yasmine-phone", "category": "games", "minutes": 15}`, &usage); code != http.StatusOK {
		t.Fatalf("grant: %d %+v", code, usage)
	}
	if code := tc.api(t, cookie, nil, http.MethodGet, "/api/v1/usage", "", &usage); code != http.StatusOK || len(usage.Usage) != 1 || usage.Usage[0].Device != "yasmine-phone" {
		t.Fatalf("usage: %d %+v", code, usage)
	}
}

func TestAnotherSitesFormCannotPause(t *testing.T) {
	tc := newTestConsole(t)
	cookie, sess := tc.session(t)
	w := tc.req(http.MethodPost, "/pause", strings.NewReader("target=yasmine&duration=1h&csrf="+sess.CSRF), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.AddCookie(cookie)
	})
	if w.Code != http.StatusForbidden {
		t.Fatalf("a cross-site form: %d", w.Code)
	}
	if p := tc.app.Pauses(); len(p) != 0 {
		t.Fatalf("paused: %v", p)
	}
}
