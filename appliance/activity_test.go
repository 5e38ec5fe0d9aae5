package appliance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/miekg/dns"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestAChildsAttemptReachesTheParentsOnce is issue 12 end to end, without
// sockets for DNS: a child's tablet asks an abuse-listed name; the
// ntfy-shaped topic gets one alert naming the device and the category; a
// second attempt within the window sends none; the activity log has both.
func TestAChildsAttemptReachesTheParentsOnce(t *testing.T) {
	got := make(chan string, 8)
	ntfy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("Tags") + " " + string(b)
	}))
	defer ntfy.Close()
	list := filepath.Join(t.TempDir(), "abuse.txt")
	os.WriteFile(list, []byte("abuse.example\n"), 0o644)
	cfg := testConfig(t, `
[[list]]
name = "abuse"
category = "abuse"
path = "`+list+`"

[[alert]]
to = "`+ntfy.URL+`/family"

[[profile]]
name = "yasmine"
preset = "9-12"

[[device]]
name = "Yasmine's tablet"
ip = "127.0.0.10"
profile = "yasmine"
`)
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	closed := false
	defer func() {
		if !closed {
			a.Close()
		}
	}()
	tablet := netip.MustParseAddr("127.0.0.10")
	ask := func(name string) {
		m := new(dns.Msg)
		m.SetQuestion(name+".", dns.TypeA)
		pkt, _ := m.Pack()
		r := new(dns.Msg)
		if err := r.Unpack(a.Handler().Answer(tablet, false, pkt, nil)); err != nil || r.Rcode != dns.RcodeNameError {
			t.Fatalf("%s: %v %v", name, err, r)
		}
	}
	wait := func(what string) string {
		select {
		case m := <-got:
			return m
		case <-time.After(2 * time.Second):
			t.Fatalf("no %s within 2 s", what)
		}
		return ""
	}

	ask("abuse.example")
	if m := wait("alert"); !strings.Contains(m, "Yasmine's tablet") || !strings.Contains(m, "abuse") {
		t.Errorf("alert %q names neither the device nor the category", m)
	}
	ask("www.abuse.example")
	// A sentinel through the same queue: when it arrives, an alert for
	// the second attempt would have arrived before it.
	if !a.AskParent(tablet, "khanacademy.org", "") {
		t.Fatal("ask-parent went nowhere")
	}
	if m := wait("ask-parent"); !strings.Contains(m, "ask-parent") {
		t.Fatalf("a second alert within 10 minutes: %q", m)
	}
	rec := httptest.NewRecorder()
	a.Metrics().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil || fams["amane_queries_total"] == nil || fams["amane_upstream_duration_seconds_bucket"] == nil {
		t.Errorf("/metrics: %v\n%s", err, rec.Body)
	}
	for _, secret := range []string{"127.0.0.10", "Yasmine", "abuse.example"} {
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("/metrics names %q", secret)
		}
	}
	a.Close() // the writer takes what is left
	closed = true
	if e := a.Activity("Yasmine's tablet", activity.Filter{Blocked: true}); len(e) != 2 || e[0].Reason != activity.ReasonMandatory {
		t.Errorf("activity: %+v", e)
	}
	if al := a.Alerts(); len(al) != 2 {
		t.Errorf("alerts: %+v", al)
	}
}
