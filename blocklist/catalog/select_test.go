package catalog

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

// preset912 is what policy's "9-12" preset blocks (policy/config.go).
var preset912 = blocklist.CategoriesOf(blocklist.Abuse, blocklist.Cyberviolence, blocklist.Adult, blocklist.Gambling,
	blocklist.Dating, blocklist.Drugs, blocklist.Violence, blocklist.Weapons, blocklist.Chat, blocklist.Bypass,
	blocklist.Malware, blocklist.Phishing, blocklist.Scam)

func selectedIDs(sel Selection) []string {
	var out []string
	for _, f := range sel.Fetch {
		out = append(out, f.Source.ID)
	}
	return out
}

func unfilled(sel Selection) []string {
	var out []string
	for _, u := range sel.Unfilled {
		out = append(out, u.Category.String())
	}
	return out
}

func TestSelect(t *testing.T) {
	cats := blocklist.CategoriesOf
	tests := []struct {
		name            string
		c               Config
		blocked, filled blocklist.Categories
		want            []string // source ids, in order
		unfilled        []string // categories
		reason          string   // part of the first Unfilled's reason
	}{
		{"nothing blocked fetches nothing", Config{}, 0, 0, nil, nil, ""},
		{"a blocked category gets its defaults", Config{}, cats(blocklist.Adult), 0, []string{"hagezi-nsfw"}, nil, ""},
		{"a category with two defaults gets both, in order", Config{}, cats(blocklist.Gambling), 0,
			[]string{"hagezi-gambling-mini", "ut1-gambling"}, nil, ""},
		{"a category a [[list]] or feed fills is not fetched", Config{}, cats(blocklist.Adult, blocklist.Gambling), cats(blocklist.Adult),
			[]string{"hagezi-gambling-mini", "ut1-gambling"}, nil, ""},
		{"a filled category that is not blocked changes nothing", Config{}, 0, cats(blocklist.Adult), nil, nil, ""},
		{"abuse has no public list: unfilled, with why", Config{}, cats(blocklist.Abuse), 0, nil, []string{"abuse"}, "helpline's signed feed"},
		{"abuse filled by the helpline's feed is not unfilled", Config{}, cats(blocklist.Abuse), cats(blocklist.Abuse), nil, nil, ""},
		{"weapons has no public list", Config{}, cats(blocklist.Weapons), 0, nil, []string{"weapons"}, "no maintained public weapons list"},
		{"a category switched off is unfilled, and says where", Config{Category: map[string]CategoryConfig{"games": {Enabled: off()}}},
			cats(blocklist.Games, blocklist.Dating), 0, []string{"ut1-dating"}, []string{"games"}, "[catalog.category.games] enabled = false"},
		{"a category switched off but filled by a list is fine", Config{Category: map[string]CategoryConfig{"games": {Enabled: off()}}},
			cats(blocklist.Games), cats(blocklist.Games), nil, nil, ""},
		{"a picked source replaces the defaults", Config{Category: map[string]CategoryConfig{"adult": {Source: "ut1-adult"}}},
			cats(blocklist.Adult), 0, []string{"ut1-adult"}, nil, ""},
		{"a pick that is not in the catalog is unfilled, never the defaults", Config{Category: map[string]CategoryConfig{"adult": {Source: "gone"}}},
			cats(blocklist.Adult), 0, nil, []string{"adult"}, `source "gone" is not a catalog source of adult`},
		{"a pick of another category's source is unfilled", Config{Category: map[string]CategoryConfig{"adult": {Source: "ut1-games"}}},
			cats(blocklist.Adult), 0, nil, []string{"adult"}, "not a catalog source of adult"},
		{"the 9-12 preset with no lists", Config{}, preset912, 0,
			[]string{"echap-stalkerware", "ut1-stalkerware", "hagezi-nsfw", "hagezi-gambling-mini", "ut1-gambling", "ut1-chat",
				"ut1-dating", "ut1-drogue", "ut1-agressif", "sinfonietta-snuff", "hagezi-tif-mini", "blp-phishing", "hagezi-fake",
				"hagezi-bypass"},
			[]string{"abuse", "weapons"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := Select(tt.c, tt.blocked, tt.filled)
			if got := selectedIDs(sel); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fetch %q, want %q", got, tt.want)
			}
			if got := unfilled(sel); !reflect.DeepEqual(got, tt.unfilled) {
				t.Errorf("unfilled %q, want %q", got, tt.unfilled)
			}
			if tt.reason != "" && (len(sel.Unfilled) == 0 || !strings.Contains(sel.Unfilled[0].Reason, tt.reason)) {
				t.Errorf("unfilled %+v, want a reason containing %q", sel.Unfilled, tt.reason)
			}
			for _, u := range sel.Unfilled {
				if u.Reason == "" {
					t.Errorf("%s is unfilled without a reason", u.Category)
				}
			}
			for _, f := range sel.Fetch {
				if f.Mirror != "" {
					t.Errorf("%s: mirror %q with none configured", f.Source.ID, f.Mirror)
				}
			}
		})
	}
}

func TestSelectTheNineToTwelvePresetSize(t *testing.T) {
	sel := Select(Config{}, preset912, 0)
	// By the maintainers' counts: what the memory check sees before the
	// first fetch (about 9 MB of Set at 14 bytes a name).
	if n := sel.Names(); n != 660_602 {
		t.Errorf("Names = %d", n)
	}
}

func TestSelectPutsTheMirrorFirst(t *testing.T) {
	for _, mirror := range []string{"https://helpline.example/catalog", "https://helpline.example/catalog/"} {
		sel := Select(Config{Mirror: mirror}, blocklist.CategoriesOf(blocklist.Gambling), 0)
		if len(sel.Fetch) != 2 {
			t.Fatalf("fetch %q", selectedIDs(sel))
		}
		for _, f := range sel.Fetch {
			want := "https://helpline.example/catalog/" + f.Source.ID
			urls := f.URLs()
			if f.Mirror != want || urls[0] != want || !reflect.DeepEqual(urls[1:], f.Source.URLs) {
				t.Errorf("mirror %q: %s URLs = %q, want %q first, then the source's own", mirror, f.Source.ID, urls, want)
			}
			if f.Name() != "catalog."+f.Source.ID {
				t.Errorf("Name = %q", f.Name())
			}
		}
	}
}

func TestFetchURLsAtAndNext(t *testing.T) {
	ut1, _ := Lookup("ut1-gambling")
	hz, _ := Lookup("hagezi-gambling-mini")
	noon := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	night := time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)
	evening := time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
	mirror := "https://school.example/lists/ut1-gambling"
	tests := []struct {
		name     string
		f        Fetch
		at       time.Time
		wantURLs []string
		last     time.Time
		wantNext time.Time
	}{
		{"UT1 at noon: nothing may be asked, the first fetch waits for 19:00 GMT",
			Fetch{Source: ut1}, noon, nil, time.Time{}, evening},
		{"UT1 at night: its own URL, fetched at once",
			Fetch{Source: ut1}, night, ut1.URLs, time.Time{}, night},
		{"UT1 through a mirror at noon: the mirror only, at once",
			Fetch{Source: ut1, Mirror: mirror}, noon, []string{mirror}, time.Time{}, noon},
		{"UT1 through a mirror at night: the mirror, then UT1",
			Fetch{Source: ut1, Mirror: mirror}, night, append([]string{mirror}, ut1.URLs...), time.Time{}, night},
		{"UT1 fetched last night at 22:00: next due at 22:00 today, inside the window",
			Fetch{Source: ut1}, noon, nil, night.AddDate(0, 0, -1), night},
		{"UT1 fetched yesterday at 07:30: due at 07:30 today, which is allowed",
			Fetch{Source: ut1}, time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC), ut1.URLs,
			time.Date(2026, 12, 1, 7, 30, 0, 0, time.UTC), time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)},
		{"UT1 overdue since 07:59 and seen at noon: waits for 19:00 GMT",
			Fetch{Source: ut1}, noon, nil, time.Date(2026, 12, 1, 7, 59, 0, 0, time.UTC), time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)},
		{"HaGeZi any time: every mirror of it at noon, due a day after the last fetch",
			Fetch{Source: hz}, noon, hz.URLs, noon.Add(-time.Hour), noon.Add(23 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.URLsAt(tt.at); !reflect.DeepEqual(got, tt.wantURLs) {
				t.Errorf("URLsAt = %q, want %q", got, tt.wantURLs)
			}
			if got := tt.f.Next(tt.last, tt.at); !got.Equal(tt.wantNext) {
				t.Errorf("Next(%s, %s) = %s, want %s", tt.last, tt.at, got, tt.wantNext)
			}
		})
	}
}
