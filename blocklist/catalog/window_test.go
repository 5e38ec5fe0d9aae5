package catalog

import (
	"testing"
	"time"
)

// ut1Window is UT1's request: no downloads 08:00-19:00 GMT.
var ut1Window = Window{Start: 19 * 60, End: 8 * 60}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s: %v", name, err)
	}
	return z
}

func TestWindow(t *testing.T) {
	casablanca := mustZone(t, "Africa/Casablanca")
	paris := mustZone(t, "Europe/Paris")
	utc := func(h, m, s int) time.Time { return time.Date(2026, 12, 2, h, m, s, 0, time.UTC) }
	day := Window{Start: 1 * 60, End: 5 * 60}
	parisNight := Window{Start: 22 * 60, End: 6 * 60, Zone: paris}
	tests := []struct {
		name  string
		w     Window
		t     time.Time
		allow bool
		next  time.Time
	}{
		{"UT1: 07:59:59 GMT is still allowed", ut1Window, utc(7, 59, 59), true, utc(7, 59, 59)},
		{"UT1: 08:00 GMT is the first refused minute, and 19:00 the next allowed", ut1Window, utc(8, 0, 0), false, utc(19, 0, 0)},
		{"UT1: noon waits for 19:00 the same day", ut1Window, utc(12, 30, 0), false, utc(19, 0, 0)},
		{"UT1: 18:59:59 waits one second", ut1Window, utc(18, 59, 59), false, utc(19, 0, 0)},
		{"UT1: 19:00 is allowed", ut1Window, utc(19, 0, 0), true, utc(19, 0, 0)},
		{"UT1: midnight is allowed", ut1Window, utc(0, 0, 0), true, utc(0, 0, 0)},
		{"UT1: a Casablanca time is compared in GMT (noon there is 11:00 GMT in winter)",
			ut1Window, time.Date(2026, 12, 2, 12, 0, 0, 0, casablanca), false, utc(19, 0, 0)},
		{"UT1: 20:00 in Paris is 19:00 GMT in winter: allowed",
			ut1Window, time.Date(2026, 12, 2, 20, 0, 0, 0, paris), true, time.Date(2026, 12, 2, 20, 0, 0, 0, paris)},
		{"UT1: 20:00 in Paris is 18:00 GMT in summer: refused until 21:00 Paris",
			ut1Window, time.Date(2026, 7, 1, 20, 0, 0, 0, paris), false, time.Date(2026, 7, 1, 19, 0, 0, 0, time.UTC)},
		{"a daytime window: before it waits for today's start", day, utc(0, 30, 0), false, utc(1, 0, 0)},
		{"a daytime window: after it waits for tomorrow's start", day, utc(5, 0, 0), false, utc(1, 0, 0).AddDate(0, 0, 1)},
		{"a window in Paris: 21:30 UTC in winter is 22:30 there, allowed", parisNight, utc(21, 30, 0), true, utc(21, 30, 0)},
		{"a window in Paris: 05:30 UTC in winter is 06:30 there, refused until 22:00 Paris",
			parisNight, utc(5, 30, 0), false, utc(21, 0, 0)},
		{"a window in Paris across the spring change: 06:00 CEST is refused, next 22:00 CEST",
			parisNight, time.Date(2026, 3, 29, 6, 0, 0, 0, paris), false, time.Date(2026, 3, 29, 20, 0, 0, 0, time.UTC)},
		{"the zero window allows any time", Window{}, utc(12, 0, 0), true, utc(12, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.Allows(tt.t); got != tt.allow {
				t.Errorf("Allows(%s) = %v, want %v", tt.t, got, tt.allow)
			}
			next := tt.w.Next(tt.t)
			if !next.Equal(tt.next) {
				t.Errorf("Next(%s) = %s, want %s", tt.t, next, tt.next)
			}
			if !tt.w.Allows(next) {
				t.Errorf("Next(%s) = %s, which the window does not allow", tt.t, next)
			}
		})
	}
}

// Next is the first allowed moment: every minute between t and Next(t)
// is refused, over two days of minutes, for windows in several zones.
func TestWindowNextIsTheFirstAllowedMinute(t *testing.T) {
	zones := []*time.Location{time.UTC, mustZone(t, "Africa/Casablanca"), mustZone(t, "America/New_York"), mustZone(t, "Asia/Kolkata")}
	windows := []Window{ut1Window, {Start: 60, End: 300}, {Start: 23*60 + 30, End: 30}, {Start: 600, End: 601}}
	start := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC) // spans Europe's and Morocco's spring changes
	for _, z := range zones {
		for _, w := range windows {
			w.Zone = z
			for m := 0; m < 2*24*60; m += 37 {
				at := start.Add(time.Duration(m) * time.Minute)
				next := w.Next(at)
				if next.Before(at) || !w.Allows(next) {
					t.Fatalf("%s: Next(%s) = %s", w, at, next)
				}
				for c := at; c.Before(next); c = c.Add(time.Minute) {
					if w.Allows(c) {
						t.Fatalf("%s: Next(%s) = %s, but %s is allowed before it", w, at, next, c)
					}
				}
			}
		}
	}
}

func TestWindowString(t *testing.T) {
	if got := ut1Window.String(); got != "19:00-08:00 UTC" {
		t.Errorf("String = %q", got)
	}
	if got := (Window{}).String(); got != "any time" {
		t.Errorf("String = %q", got)
	}
}
