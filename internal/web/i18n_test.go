package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func mustCatalogs(t *testing.T) *Catalogs {
	t.Helper()
	c, err := NewCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEveryKeyIsInEveryLanguageWithEveryPluralForm(t *testing.T) {
	if err := mustCatalogs(t).Check(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckNamesWhatIsMissing(t *testing.T) {
	extra := fstest.MapFS{
		"en.json": {Data: []byte(`{"x.only_en": "a", "x.count": {"one": "%d x", "other": "%d xs"}, "x.verb": "%s here"}`)},
		"fr.json": {Data: []byte(`{"x.count": {"one": "%d x", "other": "%d x"}, "x.verb": "ici"}`)},
		"ar.json": {Data: []byte(`{"x.count": {"zero": "", "one": "", "two": "", "few": "", "many": "", "other": "", "plenty": ""}, "x.verb": "%s"}`)},
	}
	c, err := NewCatalogs(extra)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Check()
	if got == nil {
		t.Fatal("Check found nothing wrong in a broken catalog")
	}
	for _, want := range []string{
		`fr.json: key "x.only_en" is missing`,
		`ar.json: key "x.only_en" is missing`,
		`fr.json: key "x.count" lacks the plural form "many"`,
		`ar.json: key "x.count" has "plenty"`,
		`fr.json: key "x.verb" has verbs [], English has [%s]`,
	} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("Check() = %v\nwant it to say %s", got, want)
		}
	}
}

func TestAConsoleCannotRedefineASharedKey(t *testing.T) {
	_, err := NewCatalogs(fstest.MapFS{"en.json": {Data: []byte(`{"nav.home": "Start"}`)}})
	if err == nil || !strings.Contains(err.Error(), `"nav.home" is already defined`) {
		t.Fatalf("NewCatalogs = %v, want a duplicate key error", err)
	}
}

func TestPluralForms(t *testing.T) {
	tests := []struct {
		lang Lang
		n    int
		want string
	}{
		{English, 0, Other}, {English, 1, One}, {English, 2, Other},
		{French, 0, One}, {French, 1, One}, {French, 2, Other}, {French, 1000000, Many}, {French, 1000001, Other},
		{Arabic, 0, Zero}, {Arabic, 1, One}, {Arabic, 2, Two}, {Arabic, 3, Few}, {Arabic, 10, Few},
		{Arabic, 11, Many}, {Arabic, 99, Many}, {Arabic, 100, Other}, {Arabic, 102, Other},
		{Arabic, 103, Few}, {Arabic, 111, Many}, {Arabic, -3, Few},
	}
	for _, tt := range tests {
		if got := PluralForm(tt.lang, tt.n); got != tt.want {
			t.Errorf("PluralForm(%s, %d) = %s, want %s", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestPluralTexts(t *testing.T) {
	c := mustCatalogs(t)
	tests := []struct {
		lang Lang
		n    int
		want string
	}{
		{English, 1, "1 device"}, {English, 0, "0 devices"},
		{French, 0, "0 appareil"}, {French, 3, "3 appareils"},
		{Arabic, 0, "لا أجهزة"}, {Arabic, 2, "جهازان"}, {Arabic, 5, "5 أجهزة"}, {Arabic, 11, "11 جهازًا"}, {Arabic, 100, "100 جهاز"},
	}
	for _, tt := range tests {
		if got := c.For(tt.lang).Plural("devices.count", tt.n, tt.n); got != tt.want {
			t.Errorf("%s: %d devices = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestBedtimeUntil(t *testing.T) {
	c := mustCatalogs(t)
	now := time.Date(2026, 12, 7, 21, 30, 0, 0, time.UTC) // a Monday
	end := time.Date(2026, 12, 8, 7, 0, 0, 0, time.UTC)
	later := time.Date(2026, 12, 10, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		lang Lang
		end  time.Time
		want string
	}{
		{English, end, "Bedtime until tomorrow 07:00"},
		{French, end, "Heure du coucher jusqu'à demain 07:00"},
		{Arabic, end, "وقت النوم حتى غدًا 07:00"},
		{English, later, "Bedtime until Thursday 07:00"},
		{French, later, "Heure du coucher jusqu'à jeudi 07:00"},
		{English, now.Add(time.Hour), "Bedtime until 22:30"},
	}
	for _, tt := range tests {
		l := c.For(tt.lang)
		if got := l.T("state.bedtime_until", l.Until(tt.end, now)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestNumbersAndDurations(t *testing.T) {
	c := mustCatalogs(t)
	tests := []struct {
		lang   Lang
		n      int
		number string
		d      time.Duration
		dur    string
	}{
		{English, 1234567, "1,234,567", 90 * time.Minute, "1 h 30 min"},
		{French, -12345, "-12\u202f345", 2 * time.Hour, "2 h"},
		{Arabic, 1234, "1.234", 65 * time.Minute, "ساعة واحدة و5 دقائق"},
		{Arabic, 999, "999", 2 * time.Minute, "دقيقتان"},
	}
	for _, tt := range tests {
		l := c.For(tt.lang)
		if got := l.Number(tt.n); got != tt.number {
			t.Errorf("%s Number(%d) = %q, want %q", tt.lang, tt.n, got, tt.number)
		}
		if got := l.Duration(tt.d); got != tt.dur {
			t.Errorf("%s Duration(%v) = %q, want %q", tt.lang, tt.d, got, tt.dur)
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		name, query, cookie, accept string
		want                        Lang
	}{
		{"a browser in Moroccan Arabic gets Arabic", "", "", "ar-MA,fr;q=0.8", Arabic},
		{"weights beat order", "", "", "de, en;q=0.5, fr;q=0.9", French},
		{"a language we do not speak falls back to English", "", "", "de-DE", English},
		{"the cookie beats the browser", "", "fr", "ar", French},
		{"the query beats the cookie", "ar", "fr", "en", Arabic},
		{"a bad query is ignored", "xx", "", "fr", French},
		{"q=0 refuses a language", "", "", "fr;q=0, ar;q=0.1", Arabic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/?lang="+tt.query, nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", LangCookie+"="+tt.cookie)
			}
			r.Header.Set("Accept-Language", tt.accept)
			if got := Negotiate(r); got != tt.want {
				t.Errorf("Negotiate = %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzAcceptLanguage(f *testing.F) {
	f.Add("ar-MA,fr;q=0.8,en;q=0.5")
	f.Add("*;q=0.1, ;;; q=")
	f.Fuzz(func(t *testing.T, h string) {
		l, ok := AcceptLanguage(h)
		if _, known := parseLang(string(l)); ok && !known {
			t.Fatalf("matched %q, a language not offered", l)
		}
		if !ok && l != "" {
			t.Fatalf("no match, but returned %q", l)
		}
	})
}
