package catalog

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// menaApps are the apps families in North Africa and the Middle East use
// that other catalogs miss (issue 10): each must be first-class here.
var menaApps = []string{
	"free-fire", "pubg-mobile", "likee", "imo", "kick", "yalla-ludo", "jawaker",
	"bigo-live", "anghami", "shahid", "tiktok-lite",
}

// bigApps are the ones every parent asks about first.
var bigApps = []string{
	"tiktok", "instagram", "snapchat", "whatsapp", "telegram", "youtube", "roblox",
	"fortnite", "minecraft", "discord", "twitch", "netflix", "facebook", "x",
}

func TestBuiltinCatalogLoadsWithEveryRule(t *testing.T) {
	c, err := ParseServiceCatalog(servicesFile, servicesJSON)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Services()); n < 150 {
		t.Errorf("%d services, want at least 150", n)
	}
	if got, want := len(Services()), len(c.Services()); got != want {
		t.Errorf("Services() has %d, a fresh parse %d", got, want)
	}
}

// TestServicesData checks the data itself, independently of the loader's
// checks, so that a loader bug cannot hide bad data.
func TestServicesData(t *testing.T) {
	seen := map[string]bool{}
	owners := map[string][]string{}
	for i, s := range Services() {
		if s.Index != i {
			t.Errorf("%s: Index %d at position %d", s.ID, s.Index, i)
		}
		if !validID(s.ID) || seen[s.ID] {
			t.Errorf("id %q malformed or repeated", s.ID)
		}
		seen[s.ID] = true
		for lang, name := range map[string]string{"en": s.Names.EN, "fr": s.Names.FR, "ar": s.Names.AR} {
			if strings.TrimSpace(name) == "" {
				t.Errorf("%s: no %s name", s.ID, lang)
			}
		}
		if !hasArabicLetter(s.Names.AR) {
			t.Errorf("%s: Arabic name %q has no Arabic letter", s.ID, s.Names.AR)
		}
		if GroupName(s.Group, "en") == "" {
			t.Errorf("%s: unknown group %q", s.ID, s.Group)
		}
		if len(s.Domains) == 0 {
			t.Errorf("%s: no domain", s.ID)
		}
		for _, d := range s.Domains {
			if r := checkDomain(d.Name); r != "" {
				t.Errorf("%s: domain %q: %s", s.ID, d.Name, r)
			}
			if len(d.Sources) == 0 {
				t.Errorf("%s: domain %q has no source", s.ID, d.Name)
			}
			for _, src := range d.Sources {
				if src == "" || strings.HasPrefix(src, "AG") || strings.Contains(src, "adguard") {
					t.Errorf("%s: domain %q: source %q (AdGuard's GPL list is for cross-checks only)", s.ID, d.Name, src)
				}
			}
			owners[d.Name] = append(owners[d.Name], s.ID)
		}
	}
	for _, s := range Services() {
		for _, d := range s.Domains {
			if ids := owners[d.Name]; len(ids) > 1 && d.Shared == "" {
				t.Errorf("domain %q under %v, not marked shared in %s", d.Name, ids, s.ID)
			}
		}
	}
	for _, id := range append(append([]string(nil), menaApps...), bigApps...) {
		if s, ok := ByID(id); !ok || len(s.Domains) == 0 {
			t.Errorf("service %q missing or without domains", id)
		}
	}
}

// sharedInfrastructure are names that many unrelated things need: no
// service may list them, and only the hosts in hostsUnderShared may sit
// under those that are not CDNs.
var sharedInfrastructure = []string{
	"google.com", "gstatic.com", "googleapis.com", "googleusercontent.com", "ggpht.com",
	"apple.com", "icloud.com", "microsoft.com", "akamai.net", "akamaized.net",
	"akamaihd.net", "cloudfront.net", "amazonaws.com", "fastly.net", "cloudflare.net",
	"cloudflare.com", "facebook.com", "qq.com", "tencent.com", "alicdn.com", "appsflyersdk.com",
}

var hostsUnderShared = map[string]bool{
	"chat.google.com": true, "gemini.google.com": true, "wide-youtube.l.google.com": true,
	"youtube-ui.l.google.com": true, "youtube.googleapis.com": true, "youtubei.googleapis.com": true,
	"youtubeembeddedplayer.googleapis.com": true, "yt3.ggpht.com": true,
	"edge-chat.facebook.com": true, "chat-e2ee-mini.facebook.com": true,
	"copilot.microsoft.com": true, "discord-attachments-uploads-prd.storage.googleapis.com": true,
}

func TestNoServiceListsSharedInfrastructure(t *testing.T) {
	for _, s := range Services() {
		for _, d := range s.Domains {
			for _, shared := range sharedInfrastructure {
				if d.Name == shared && !(s.ID == "facebook" && shared == "facebook.com") {
					t.Errorf("%s lists %s, shared infrastructure", s.ID, d.Name)
				}
				under := strings.HasSuffix(d.Name, "."+shared)
				cdn := strings.Contains(shared, "akamai") || strings.Contains(shared, "fastly") ||
					strings.Contains(shared, "cloud") || shared == "amazonaws.com"
				if under && !cdn && !hostsUnderShared[d.Name] && s.ID != "facebook" {
					t.Errorf("%s lists %s, under shared %s", s.ID, d.Name, shared)
				}
				if under && cdn && !namesService(d.Name, s) {
					t.Errorf("%s lists %s, an opaque host under %s", s.ID, d.Name, shared)
				}
			}
		}
	}
}

// namesService reports whether a CDN host's name carries the service's id
// or a word of its English name ("steamcdn-a.akamaihd.net").
func namesService(host string, s *Service) bool {
	words := append(strings.Split(s.ID, "-"), strings.Fields(strings.ToLower(s.Names.EN))...)
	words = append(words, "blz", "blizz", "bnet", "ubi", "lol", "openai")
	for _, w := range words {
		if len(w) >= 3 && strings.Contains(host, w) {
			return true
		}
	}
	return false
}

func hasArabicLetter(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func TestEveryGroupHasLabelsAndServices(t *testing.T) {
	for _, g := range Groups() {
		for _, lang := range []string{"en", "fr", "ar"} {
			if GroupName(g, lang) == "" {
				t.Errorf("group %s has no %s label", g, lang)
			}
		}
		if len(InGroup(g)) == 0 {
			t.Errorf("group %s has no service", g)
		}
	}
	if GroupName("nope", "en") != "" {
		t.Error("an unknown group has a label")
	}
}

func TestParseServicesNamesWhatIsWrong(t *testing.T) {
	set, err := ParseServices([]string{"tiktok", " free-fire "})
	if err != nil {
		t.Fatal(err)
	}
	tt, _ := ByID("tiktok")
	ff, _ := ByID("free-fire")
	if set.Len() != 2 || !set.Has(tt.Index) || !set.Has(ff.Index) {
		t.Errorf("set %v, want tiktok and free-fire", set)
	}
	for _, tc := range []struct{ in, want string }{
		{"tiktk", `unknown service "tiktk"`},
		{"games", `"games" is a group`},
	} {
		if _, err := ParseServices([]string{"tiktok", tc.in}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseServices(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseServiceCatalogRejectsBadData(t *testing.T) {
	const origins = `"origins": {"v2fly": {"url": "https://example.org/", "license": "MIT"}},`
	svc := func(id, group, domains string) string {
		return `{"id": "` + id + `", "group": "` + group + `", "names": {"en": "A", "fr": "A", "ar": "أ"}, "domains": [` + domains + `]}`
	}
	dom := func(name, extra string) string {
		return `{"name": "` + name + `", "sources": ["v2fly:a"]` + extra + `}`
	}
	for _, tc := range []struct{ name, data, want string }{
		{"a syntax error names its line", "{\n\"services\": [\n}", "test.json:3:"},
		{"an unknown field is refused", `{"colour": 1}`, "unknown field"},
		{"a bad id", `{` + origins + `"services": [` + svc("Tik_Tok", "social", dom("a.com", "")) + `]}`, `"Tik_Tok": id must be`},
		{"a repeated id", `{` + origins + `"services": [` + svc("a", "social", dom("a.com", "")) + ",\n" + svc("a", "social", dom("b.com", "")) + `]}`, "listed twice"},
		{"an unknown group", `{` + origins + `"services": [` + svc("a", "sports", dom("a.com", "")) + `]}`, `unknown group "sports"`},
		{"no domain", `{` + origins + `"services": [` + svc("a", "social", "") + `]}`, "has no domain"},
		{"an upper-case domain", `{` + origins + `"services": [` + svc("a", "social", dom("A.com", "")) + `]}`, `domain "A.com": byte 'A'`},
		{"a trailing dot", `{` + origins + `"services": [` + svc("a", "social", dom("a.com.", "")) + `]}`, "trailing dot"},
		{"a bare TLD", `{` + origins + `"services": [` + svc("a", "social", dom("youtube", "")) + `]}`, "bare top-level"},
		{"no source", `{` + origins + `"services": [` + svc("a", "social", `{"name": "a.com", "sources": []}`) + `]}`, "has no source"},
		{"an unknown origin", `{` + origins + `"services": [` + svc("a", "social", `{"name": "a.com", "sources": ["AG:a"]}`) + `]}`, `source "AG:a"`},
		{"a domain under two services", `{` + origins + `"services": [` + svc("a", "social", dom("x.com", "")) + ",\n" + svc("b", "social", dom("x.com", "")) + `]}`, `"x.com" is listed under 2 services`},
		{"a missing name", `{` + origins + `"services": [{"id": "a", "group": "social", "names": {"en": "A"}, "domains": [` + dom("a.com", "") + `]}]}`, "needs names in en, fr and ar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServiceCatalog("test.json", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "test.json") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	t.Run("a domain shared on purpose is accepted", func(t *testing.T) {
		data := `{` + origins + `"services": [` + svc("a", "social", dom("x.com", `, "shared": "same back end"`)) + ",\n" + svc("b", "social", dom("x.com", `, "shared": "same back end"`)) + `]}`
		if _, err := ParseServiceCatalog("test.json", []byte(data)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a problem names the service's line", func(t *testing.T) {
		data := `{` + origins + "\n\"services\": [\n" + svc("a", "social", dom("a.com", "")) + ",\n" + svc("b", "nope", dom("b.com", "")) + `]}`
		_, err := ParseServiceCatalog("test.json", []byte(data))
		if err == nil || !strings.HasPrefix(err.Error(), "test.json:4: service \"b\"") {
			t.Fatalf("error %v, want it at test.json:4", err)
		}
	})
}

func TestServicesTableListsAGroupInALanguage(t *testing.T) {
	var b bytes.Buffer
	if err := WriteServicesTable(&b, "ar", GroupGames); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"الألعاب (games,", "free-fire", "فري فاير", "jawaker", "جواكر"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "tiktok") {
		t.Errorf("games table lists tiktok:\n%s", out)
	}
	if err := WriteServicesTable(&b, "en", "sports"); err == nil {
		t.Error("an unknown group was listed")
	}
}
