package alert

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
)

var (
	tabletAddr = netip.MustParseAddr("192.168.1.10")
	t0         = time.Date(2026, 12, 1, 20, 14, 0, 0, time.UTC) // 21:14 in Casablanca
	casablanca = func() *time.Location { l, _ := time.LoadLocation("Africa/Casablanca"); return l }()
)

// family is a snapshot with Yasmine's tablet (9-12) and a parent's phone.
func family(t *testing.T) *policy.Snapshot {
	t.Helper()
	p, err := policy.NewSnapshot(policy.Config{Filter: policy.DefaultFilterConfig(),
		Profiles: []policy.ProfileConfig{{Name: "yasmine", Preset: "9-12"}, {Name: "parents", Preset: "adult"}},
		Devices: []policy.DeviceConfig{{Name: "Yasmine's tablet", IP: tabletAddr, Profile: "yasmine"},
			{Name: "phone", IP: netip.MustParseAddr("192.168.1.11"), Profile: "parents"}}},
		nil, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// attempt is a blocked answer for name in cats from addr at at.
func attempt(p *policy.Snapshot, addr netip.Addr, name string, at time.Time, mandatory bool, cats ...blocklist.Category) (*activity.Event, policy.Identity) {
	ev := &activity.Event{At: at, Client: policy.Client{Addr: addr}, Policy: p, Action: policy.Block,
		Categories: blocklist.CategoriesOf(cats...), Mandatory: mandatory}
	ev.SetName(name)
	return ev, p.Identify(ev.Client)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// ntfyServer is an ntfy-shaped topic on loopback: each POST is a message.
type ntfyMessage struct {
	title, priority, tags, body string
}

func ntfyServer(t *testing.T) (string, chan ntfyMessage) {
	got := make(chan ntfyMessage, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		title, err := new(mime.WordDecoder).DecodeHeader(r.Header.Get("Title"))
		if r.Method != http.MethodPost || r.URL.Path != "/family-7f3k" || err != nil {
			http.Error(w, "not a publish", http.StatusBadRequest)
			return
		}
		got <- ntfyMessage{title, r.Header.Get("Priority"), r.Header.Get("Tags"), string(b)}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/family-7f3k", got
}

// smtpServer is enough of an SMTP relay on loopback to take a message
// over STARTTLS, with a self-signed certificate whose PEM it returns; it
// refuses MAIL before STARTTLS.
func smtpServer(t *testing.T) (host string, port int, caFile string, got chan string) {
	cert, caPEM := selfSigned(t)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan string, 16)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSMTP(c, cfg, got)
		}
	}()
	return "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, caFile, got
}

func serveSMTP(c net.Conn, cfg *tls.Config, got chan string) {
	defer c.Close()
	tp := textproto.NewConn(c)
	secure := false
	tp.PrintfLine("220 127.0.0.1 ESMTP test")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); {
		case cmd == "EHLO" && !secure:
			tp.PrintfLine("250-127.0.0.1\r\n250-8BITMIME\r\n250 STARTTLS")
		case cmd == "EHLO":
			tp.PrintfLine("250-127.0.0.1\r\n250 AUTH PLAIN")
		case cmd == "STARTTLS":
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, cfg)
			if tc.Handshake() != nil {
				return
			}
			tp, secure = textproto.NewConn(tc), true
		case (cmd == "MAIL" || cmd == "RCPT" || cmd == "DATA") && !secure:
			tp.PrintfLine("530 STARTTLS first")
		case cmd == "AUTH":
			tp.PrintfLine("235 ok")
		case cmd == "MAIL" || cmd == "RCPT" || cmd == "RSET":
			tp.PrintfLine("250 ok")
		case cmd == "DATA":
			tp.PrintfLine("354 go on")
			lines, err := tp.ReadDotLines()
			if err != nil {
				return
			}
			got <- strings.Join(lines, "\n")
			tp.PrintfLine("250 queued")
		case cmd == "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 no")
		}
	}
}

func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// mailBody decodes the base64 text of a message as the test relay got it.
func mailBody(t *testing.T, msg string) (subject, body string) {
	head, b64, _ := strings.Cut(msg, "\n\n")
	for _, l := range strings.Split(head, "\n") {
		if s, ok := strings.CutPrefix(l, "Subject: "); ok {
			subject, _ = new(mime.WordDecoder).DecodeHeader(s)
		}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b64, "\n", ""))
	if err != nil {
		t.Fatalf("body %q: %v", b64, err)
	}
	return subject, string(raw)
}

// within waits for one value on ch, failing after d.
func within[T any](t *testing.T, ch chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
	}
	var zero T
	return zero
}

func TestAnAttemptReachesNtfyAndMailOnceInTheWindow(t *testing.T) {
	p := family(t)
	topic, ntfy := ntfyServer(t)
	host, port, ca, mails := smtpServer(t)
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("secret\n"), 0o600)
	c := &clock{t0}
	a := New(Options{
		Rules:    []Config{{To: topic}, {To: "mailto:mum@example.com", Events: []string{Abuse, Adult}}},
		SMTP:     SMTPConfig{Host: host, Port: port, From: "amane@home.example", User: "amane", PasswordFile: pw, CAFile: ca},
		Language: "en", Location: casablanca, Now: c.now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	a.Observe(attempt(p, tabletAddr, "abuse.example", t0, true, blocklist.Abuse))
	m := within(t, ntfy, 2*time.Second, "ntfy message")
	if !strings.Contains(m.body, "Yasmine's tablet") || !strings.Contains(m.body, "child abuse") ||
		!strings.Contains(m.body, "abuse.example") || !strings.Contains(m.body, "21:14") ||
		!strings.Contains(m.tags, "abuse") || m.priority != "high" || !strings.Contains(m.title, "Yasmine's tablet") {
		t.Errorf("ntfy got %+v", m)
	}
	subject, body := mailBody(t, within(t, mails, 2*time.Second, "mail"))
	if !strings.Contains(body, "Yasmine's tablet") || !strings.Contains(body, "child abuse") || !strings.Contains(subject, "Yasmine's tablet") {
		t.Errorf("mail %q: %q", subject, body)
	}

	// Five minutes later, again: folded into the window's digest. A
	// sentinel alert of another kind follows it through the same queue,
	// so that when it arrives, anything sent before it has arrived too.
	c.t = t0.Add(5 * time.Minute)
	a.Observe(attempt(p, tabletAddr, "abuse2.example", c.t, true, blocklist.Abuse))
	a.Digest()
	a.Raise(Alert{Kind: ReportAcknowledged, Device: "sentinel", Site: "report.example"})
	if m := within(t, ntfy, 2*time.Second, "sentinel"); !strings.Contains(m.body, "report.example") {
		t.Fatalf("a second alert within 10 minutes was sent: %+v", m)
	}
	select {
	case m := <-mails:
		t.Fatalf("a second mail within 10 minutes: %q", m)
	default: // the mail rule does not take the sentinel, and the ntfy one took it after any earlier mail
	}

	// When the window ends, one digest says how many more.
	c.t = t0.Add(11 * time.Minute)
	a.Digest()
	m = within(t, ntfy, 2*time.Second, "digest")
	if !strings.Contains(m.body, "1 more") || !strings.Contains(m.body, "abuse2.example") {
		t.Errorf("digest: %+v", m)
	}
	if r := a.Recent(); len(r) != 3 || r[2].Kind != Abuse || len(r[2].Sent) != 2 {
		t.Errorf("recent: %+v", r)
	}
}

func TestRulesAlertParentsOfChildrenOnly(t *testing.T) {
	p := family(t)
	phone := netip.MustParseAddr("192.168.1.11")
	cases := []struct {
		name string
		ev   func() (*activity.Event, policy.Identity)
		want string
	}{
		{"an adult site from a child's tablet", func() (*activity.Event, policy.Identity) {
			return attempt(p, tabletAddr, "pornhub.com", t0, false, blocklist.Adult)
		}, Adult},
		{"an adult site from a parent's phone is none", func() (*activity.Event, policy.Identity) {
			return attempt(p, phone, "pornhub.com", t0, false, blocklist.Adult)
		}, ""},
		{"the canary from a child's tablet", func() (*activity.Event, policy.Identity) {
			ev, id := attempt(p, tabletAddr, "use-application-dns.net", t0, false)
			ev.Why = policy.ByBypass
			return ev, id
		}, Bypass},
		{"a spent budget", func() (*activity.Event, policy.Identity) {
			ev, id := attempt(p, tabletAddr, "roblox.com", t0, false, blocklist.Games)
			ev.Why = policy.ByBudget
			return ev, id
		}, BudgetSpent},
		{"a new address", func() (*activity.Event, policy.Identity) {
			ev, id := attempt(p, netip.MustParseAddr("192.168.1.77"), "example.org", t0, false)
			ev.Action = policy.Allow
			return ev, id
		}, NewDevice},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Options{Language: "en", Location: casablanca, Now: (&clock{t0}).now})
			a.Observe(tc.ev())
			r := a.Recent()
			switch {
			case tc.want == "" && len(r) != 0:
				t.Errorf("alerts %+v, want none", r)
			case tc.want != "" && (len(r) != 1 || r[0].Kind != tc.want):
				t.Errorf("alerts %+v, want one %s", r, tc.want)
			}
		})
	}
}

func TestMessagesReadPlainlyInEachLanguage(t *testing.T) {
	for lang, want := range map[string]string{
		"en": "Yasmine's tablet tried to open an adult site (pornhub.com) at 21:14",
		"fr": "Yasmine's tablet a tenté d'ouvrir un site pour adultes (pornhub.com) à 21:14",
		"ar": "حاول Yasmine's tablet فتح موقع للبالغين (pornhub.com) على الساعة 21:14",
	} {
		al := Alert{Kind: Adult, Device: "Yasmine's tablet", Site: "pornhub.com", Category: "adult", At: t0}
		al.render(lang, casablanca)
		if al.Message != want {
			t.Errorf("%s: %q, want %q", lang, al.Message, want)
		}
	}
}

func TestAFailedDeliveryIsRetried(t *testing.T) {
	fails := 2
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fails > 0 {
			fails--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer srv.Close()
	a := New(Options{Rules: []Config{{To: "webhook:" + srv.URL}}, Backoff: time.Millisecond, Location: casablanca})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	a.AskParent("Yasmine's tablet", "yasmine", "roblox.com", "homework is done")
	body := within(t, got, 2*time.Second, "webhook after two failures")
	if !strings.Contains(body, `"kind":"ask-parent"`) || !strings.Contains(body, "homework is done") {
		t.Errorf("webhook body %s", body)
	}
}

func TestConfigNamesTheKey(t *testing.T) {
	c := Config{To: "mailto:not an address", Events: []string{"adult", "porn"}}
	err := c.Validate()
	for _, key := range []string{"to:", "events[1]"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%v does not name %s", err, key)
		}
	}
	s := SMTPConfig{}
	if err := s.Validate(true); err == nil || !strings.Contains(err.Error(), "smtp.host") {
		t.Errorf("mail without a host: %v", err)
	}
}

// Observe runs for every answer on the activity writer: an answer that
// raises nothing must allocate nothing, from a named device or not.
func TestObservingAnAnswerThatRaisesNothingAllocatesNothing(t *testing.T) {
	p := family(t)
	a := New(Options{Language: "en", Location: casablanca, Now: (&clock{t0}).now})
	stranger := netip.MustParseAddr("192.168.1.77")
	ev, id := attempt(p, stranger, "example.org", t0, false)
	ev.Action = policy.Allow
	a.Observe(ev, id)
	if r := a.Recent(); len(r) != 1 || r[0].Kind != NewDevice || r[0].Device != "192.168.1.77" {
		t.Fatalf("alerts %+v, want one new device named by its address", r)
	}
	blocked, bid := attempt(p, stranger, "ads.example", t0, false, blocklist.Ads)
	named, nid := attempt(p, netip.MustParseAddr("192.168.1.11"), "pornhub.com", t0, false, blocklist.Adult)
	for _, c := range []struct {
		name string
		ev   *activity.Event
		id   policy.Identity
	}{{"allowed, unnamed device", ev, id}, {"blocked ad, unnamed device", blocked, bid}, {"adult site, a parent's phone", named, nid}} {
		if n := testing.AllocsPerRun(100, func() { a.Observe(c.ev, c.id) }); n != 0 {
			t.Errorf("%s: %.0f allocations, want none", c.name, n)
		}
	}
	if r := a.Recent(); len(r) != 1 {
		t.Fatalf("alerts %+v, want still the one", r)
	}
}
