package policy

import (
	"testing"
	"time"

	"github.com/amane-dns/amane/blocklist"
)

func TestScheduleAtSaysWhatBlocksNowAndUntilWhen(t *testing.T) {
	cfg := Config{Timezone: "Africa/Casablanca", Filter: DefaultFilterConfig(), Profiles: []ProfileConfig{{
		Name: "adam", Preset: "under-9",
		Schedules: []ScheduleConfig{
			{Days: []string{"all"}, From: "21:00", To: "07:00", Block: CategorySpec{All: true}},
			{Days: []string{"weekdays"}, From: "17:00", To: "19:00", Block: CategorySpec{Categories: []string{"games"}}},
		},
	}}}
	s, err := NewSnapshot(cfg, nil, 0, Contacts{})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Africa/Casablanca")
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, loc) } // 7 December 2026 is a Monday
	for _, tt := range []struct {
		name  string
		now   time.Time
		all   bool
		cats  blocklist.Categories
		until time.Time
	}{
		{"bedtime on Monday night, until Tuesday 07:00", at(7, 22, 30), true, 0, at(8, 7, 0)},
		{"homework on Monday afternoon, until 19:00", at(7, 17, 30), false, blocklist.CategoriesOf(blocklist.Games), at(7, 19, 0)},
		{"nothing on Monday at noon", at(7, 12, 0), false, 0, at(7, 17, 0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := s.ScheduleAt("adam", tt.now)
			if !ok || w.All != tt.all || w.Categories != tt.cats || !w.Until.Equal(tt.until) {
				t.Errorf("ScheduleAt = %+v, %v; want all=%v cats=%v until %v", w, ok, tt.all, tt.cats, tt.until)
			}
			if w.Active() != (tt.all || tt.cats != 0) {
				t.Errorf("Active = %v", w.Active())
			}
		})
	}
	if _, ok := s.ScheduleAt("nobody", at(7, 12, 0)); ok {
		t.Error("a profile that does not exist has a schedule")
	}
}

func TestPresetBlocksAreThePresets(t *testing.T) {
	if len(Presets()) != len(presets) {
		t.Errorf("Presets() = %v: not every preset", Presets())
	}
	for _, name := range Presets() {
		got := PresetBlocks(name)
		if got.Len() != len(presets[name].block) || !got.Has(blocklist.Abuse) {
			t.Errorf("%s: %v, want %v", name, got, presets[name].block)
		}
	}
	if PresetBlocks("") != 0 {
		t.Error("no preset blocks something")
	}
}
