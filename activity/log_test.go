package activity

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
	"github.com/amane-dns/amane/policy"
	bolt "go.etcd.io/bbolt"
)

func TestEventsReachTheLogAndTheAggregates(t *testing.T) {
	p := family(t)
	c := &clock{t0}
	l := newLog(t, openDB(t), LogChildren, c)
	l.Record(event(p, tablet, "www.wikipedia.org", t0))
	l.Record(blocked(event(p, tablet, "pornhub.com", t0.Add(time.Minute)), policy.ByCategory, blocklist.Adult))
	l.Record(blocked(event(p, tablet, "game.example", t0.Add(2*time.Minute)), policy.ByBudget, blocklist.Games))
	l.Record(blocked(event(p, tablet, "use-application-dns.net", t0.Add(3*time.Minute)), policy.ByBypass))

	got := l.Recent("tablet", Filter{Blocked: true})
	want := []struct{ name, reason string }{
		{"use-application-dns.net", ReasonBypass}, {"game.example", ReasonBudget}, {"pornhub.com", ReasonCategory}}
	if len(got) != len(want) {
		t.Fatalf("recent blocked: %+v", got)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Reason != w.reason || got[i].Profile != "yasmine" || !got[i].Blocked {
			t.Errorf("entry %d = %+v, want %s for %s", i, got[i], w.name, w.reason)
		}
	}
	if got[2].Categories[0] != "adult" {
		t.Errorf("pornhub.com's categories: %v", got[2].Categories)
	}
	if n := len(l.Recent("tablet", Filter{Since: t0.Add(90 * time.Second)})); n != 2 {
		t.Errorf("since 20:15:30: %d answers, want 2", n)
	}

	c.t = t0.Add(2 * time.Hour)
	l.Flush() // in bbolt now, and out of memory
	days, err := l.Totals(Who{Device: "tablet"}, t0.Add(-time.Hour), c.t, Daily)
	if err != nil || len(days) != 1 {
		t.Fatalf("totals: %v, %+v", err, days)
	}
	d := days[0]
	if d.Queries != 4 || d.Blocked != 3 || d.ByReason[ReasonBudget] != 1 || d.ByReason[ReasonBypass] != 1 ||
		d.Categories["adult"].Blocked != 1 || d.Categories["games"].Blocked != 1 {
		t.Errorf("day: %+v", d)
	}
	if !d.Start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, casablanca)) {
		t.Errorf("day starts %v, want local midnight", d.Start)
	}
	today, _ := l.TodayOf("yasmine")
	if today.Blocked != 3 || today.Adult != 1 {
		t.Errorf("today: %+v, want 3 blocked, 1 adult", today)
	}
}

func TestMinutesOfUseCountEachMinuteOnce(t *testing.T) {
	p := family(t)
	c := &clock{t0}
	l := newLog(t, nil, LogChildren, c)
	for i := range 30 { // 30 answers over 3 minutes
		ev := event(p, tablet, "roblox.com", t0.Add(time.Duration(i)*6*time.Second))
		ev.Categories = blocklist.CategoriesOf(blocklist.Games)
		l.Record(ev)
	}
	days, _ := l.Totals(Who{}, t0, t0, Daily)
	if len(days) != 1 || days[0].Categories["games"].Minutes != 3 || days[0].Categories["games"].Queries != 30 {
		t.Fatalf("days: %+v", days)
	}
	if top := days[0].Top; len(top) != 1 || top[0] != (NameCount{"roblox.com", 30}) {
		t.Errorf("top: %+v", top)
	}
}

func TestRetentionDeletesWholeHours(t *testing.T) {
	p := family(t)
	db := openDB(t)
	c := &clock{t0}
	l := newLog(t, db, LogChildren, c)
	for d := range 40 { // one answer a day for 40 days
		c.t = t0.Add(time.Duration(d) * 24 * time.Hour)
		l.Record(event(p, tablet, "example.org", c.t))
		l.Flush()
	}
	var hours []time.Time
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(hoursBucket).ForEachBucket(func(k []byte) error {
			hours = append(hours, hourStart(uint32(k[0])<<24|uint32(k[1])<<16|uint32(k[2])<<8|uint32(k[3])))
			return nil
		})
	})
	if len(hours) != 30 { // 720h: today and the 29 days before it
		t.Fatalf("%d hours kept, want 30", len(hours))
	}
	if oldest := c.t.Sub(hours[0]); oldest > 720*time.Hour {
		t.Errorf("an hour %v old is kept", oldest)
	}
}

// allKeysAndValues returns every key and value in the database.
func allKeysAndValues(t *testing.T, db *bolt.DB) []byte {
	var all bytes.Buffer
	err := db.View(func(tx *bolt.Tx) error {
		var walk func(b *bolt.Bucket) error
		walk = func(b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				all.Write(k)
				all.WriteByte(0)
				if v == nil {
					return walk(b.Bucket(k))
				}
				all.Write(v)
				all.WriteByte(0)
				return nil
			})
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			all.Write(name)
			return walk(b)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.Bytes()
}

func TestEachPrivacyModeKeepsWhatItSays(t *testing.T) {
	p := family(t)
	cases := []struct {
		mode                   string
		childNames, adultNames bool // per name: in the recent log and the aggregates
		counts                 bool
	}{
		{LogChildren, true, false, true},
		{LogAll, true, true, true},
		{LogCounts, false, false, true},
		{LogOff, false, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			db := openDB(t)
			c := &clock{t0}
			l := newLog(t, db, tc.mode, c)
			l.Record(blocked(event(p, tablet, "child-asked.example", t0), policy.ByCategory, blocklist.Adult))
			l.Record(event(p, phone, "parent-asked.example", t0))
			l.Record(event(p, diary, "opted-out.example", t0))
			l.Record(event(p, stranger, "stranger-asked.example", t0))
			c.t = t0.Add(2 * time.Hour)
			l.Flush()
			stored := allKeysAndValues(t, db)
			in := func(name string) bool {
				return bytes.Contains(stored, []byte(name)) || len(l.Recent("", Filter{})) > 0 &&
					strings.Contains(names(l.Recent("", Filter{})), name)
			}
			if in("child-asked") != tc.childNames {
				t.Errorf("the child's name kept: %v, want %v", in("child-asked"), tc.childNames)
			}
			if in("parent-asked") != tc.adultNames || in("stranger-asked") != tc.adultNames {
				t.Errorf("adults' names kept: %v/%v, want %v", in("parent-asked"), in("stranger-asked"), tc.adultNames)
			}
			if in("opted-out") || bytes.Contains(stored, []byte("diary")) {
				t.Error("a device that opted out is kept")
			}
			if tc.mode == LogCounts && bytes.Contains(stored, []byte(".example")) {
				t.Errorf("counts mode stored a name: %q", stored)
			}
			days, _ := l.Totals(Who{}, t0, t0, Daily)
			var n uint32
			for _, d := range days {
				n += d.Queries
			}
			if want := map[bool]uint32{true: 3, false: 0}[tc.counts]; n != want {
				t.Errorf("%d answers counted, want %d", n, want)
			}
		})
	}
}

func names(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Name + " ")
	}
	return b.String()
}

func TestARestartInTheHourAddsToWhatWasWritten(t *testing.T) {
	p := family(t)
	db := openDB(t)
	c := &clock{t0}
	l := newLog(t, db, LogChildren, c)
	l.Record(event(p, tablet, "a.example", t0))
	l.Flush()
	l = newLog(t, db, LogChildren, c)
	l.Record(event(p, tablet, "a.example", t0.Add(time.Minute)))
	l.Flush()
	days, _ := l.Totals(Who{Device: "tablet"}, t0, t0, Daily)
	if len(days) != 1 || days[0].Queries != 2 || days[0].Top[0].Count != 2 {
		t.Fatalf("after a restart: %+v", days)
	}
}

func TestConfigNamesTheField(t *testing.T) {
	c := DefaultConfig()
	c.Log, c.Retention = "everything", time.Minute
	err := c.Validate()
	for _, key := range []string{"activity.log", "activity.retention"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
	if d := DefaultConfig(); d.Validate() != nil {
		t.Errorf("the default is invalid: %v", d.Validate())
	}
}

// TestAWeekOfAppTimeIsKeptInTheAggregates: the minutes in each app come
// from the hourly aggregates, so a week's chart counts days the recent
// log has long forgotten. An app is known by the resolver's decision (a
// budget counting it) or, for every other answer, by its names in the
// catalog; a blocked attempt is no time spent, and the minutes survive a
// restart and the counts privacy mode (they are no names).
func TestAWeekOfAppTimeIsKeptInTheAggregates(t *testing.T) {
	p := family(t)
	db := openDB(t)
	c := &clock{t0}
	l := newLog(t, db, LogCounts, c)
	monday := t0.AddDate(0, 0, -1)
	for i := range 5 { // Monday: 5 minutes of TikTok, matched by name
		l.Record(event(p, tablet, "www.tiktok.com", monday.Add(time.Duration(i)*time.Minute)))
	}
	ev := event(p, tablet, "v16.tiktokcdn.com", t0) // Tuesday: one more
	l.Record(ev)
	ev = event(p, tablet, "roblox.example", t0.Add(time.Minute)) // named by the decision
	ev.Service = serviceOf(t, "roblox")
	l.Record(ev)
	l.Record(blocked(event(p, tablet, "www.instagram.com", t0.Add(2*time.Minute)), policy.ByService))
	l.Flush()

	l = newLog(t, db, LogCounts, c) // a restart: the aggregates are read back
	weeks, err := l.Totals(Who{Device: "tablet"}, monday, t0.Add(time.Hour), Weekly)
	if err != nil {
		t.Fatal(err)
	}
	if len(weeks) != 1 {
		t.Fatalf("%d weeks, want 1: %+v", len(weeks), weeks)
	}
	if weeks[0].Minutes != 7 {
		t.Errorf("%d minutes online, want 7 (5 on Monday, 2 on Tuesday; the block is none)", weeks[0].Minutes)
	}
	want := map[string]int{"tiktok": 6, "roblox": 1}
	if got := weeks[0].Apps; !maps.Equal(got, want) {
		t.Errorf("minutes by app %v, want %v", got, want)
	}
	if len(weeks[0].Top) != 0 {
		t.Errorf("counts mode kept names: %v", weeks[0].Top)
	}
}

// serviceOf is the Event.Service of the catalog's app id.
func serviceOf(t *testing.T, id string) uint16 {
	for i, s := range catalog.Services() {
		if s.ID == id {
			return uint16(i + 1)
		}
	}
	t.Fatalf("no app %q in the catalog", id)
	return 0
}

// TestAnHourWrittenBeforeAppsIsStillRead: version 1 records (no apps)
// from before the upgrade decode as they were.
func TestAnHourWrittenBeforeAppsIsStillRead(t *testing.T) {
	h := &Hour{Profile: "yasmine", Queries: 7, Blocked: 2, Top: []NameCount{{"a.example", 7}}}
	h.Cats[blocklist.Games] = CategoryHour{Queries: 5, Minutes: 0b101}
	v2 := h.encode()
	// Version 1 is version 2 without the apps' count (0 here).
	cut := len(v2) - len(appendString(nil, "a.example")) - 1 /* top's count */ - 1 /* one top name */ - 1 /* no apps */ - 1 /* no minutes */
	v1 := append([]byte{1}, v2[1:cut]...)
	v1 = append(v1, v2[cut+2:]...)
	got, err := decodeHour(v1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Queries != 7 || got.Cats[blocklist.Games] != h.Cats[blocklist.Games] || len(got.Top) != 1 || got.Top[0] != h.Top[0] || got.Apps != nil {
		t.Errorf("version 1 read as %+v", got)
	}
}

// TestANewPolicyNamesTheDeviceAgain: the writer remembers who sent the last
// answer, but a reloaded policy that gives the address to another device
// must be asked again, not answered from memory.
func TestANewPolicyNamesTheDeviceAgain(t *testing.T) {
	before := family(t)
	cfg := policy.Config{Timezone: "Africa/Casablanca", Filter: policy.DefaultFilterConfig(),
		Profiles: []policy.ProfileConfig{{Name: "adam", Preset: "under-9"}},
		Devices:  []policy.DeviceConfig{{Name: "school-laptop", IP: tablet, Profile: "adam"}}}
	after, err := policy.NewSnapshot(cfg, nil, 0, policy.Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	l := newLog(t, nil, LogChildren, &clock{t0})
	l.Record(event(before, tablet, "before.example", t0))
	l.Record(event(after, tablet, "after.example", t0.Add(time.Second)))
	l.Record(event(before, phone, "parent.example", t0.Add(2*time.Second)))
	l.Record(event(after, tablet, "again.example", t0.Add(3*time.Second)))
	for dev, want := range map[string][]string{"tablet": {"before.example"}, "school-laptop": {"again.example", "after.example"}} {
		var got []string
		for _, e := range l.Recent(dev, Filter{}) {
			got = append(got, e.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", dev, got, want)
		}
	}
	if got := l.Recent("phone", Filter{}); len(got) != 0 {
		t.Errorf("a parent's names were kept: %+v", got)
	}
}
