package web

import (
	"strconv"
	"strings"
	"time"
)

// Clock writes t's time of day as the family reads it on a schedule:
// 24-hour, two-digit hours, Western digits in every language ("07:00";
// CLDR's HH:mm for en-GB, fr and ar-MA). t is shown in its own location:
// the caller converts it to the appliance's time zone first.
func (l *Localizer) Clock(t time.Time) string {
	return t.Format("15:04")
}

// Weekday returns the day's name in the localizer's language, from the
// catalog keys weekday.0 (Sunday) to weekday.6.
func (l *Localizer) Weekday(d time.Weekday) string {
	return l.T("weekday." + strconv.Itoa(int(d)))
}

// Until writes when something that ends at end, seen at now, ends: the
// clock alone when it is today, else the weekday and the clock
// ("Monday 07:00"), so "bedtime until 07:00" never hides a day.
func (l *Localizer) Until(end, now time.Time) string {
	ey, em, ed := end.Date()
	ny, nm, nd := now.In(end.Location()).Date()
	if ey == ny && em == nm && ed == nd {
		return l.Clock(end)
	}
	if end.Sub(now) < 24*time.Hour && end.After(now) {
		return l.T("time.tomorrow_at", l.Clock(end))
	}
	return l.T("time.day_at", l.Weekday(end.Weekday()), l.Clock(end))
}

// Number writes n with the grouping separator of the localizer's language:
// "12,345" in English, "12 345" (narrow no-break space) in French, and
// "12.345" in Arabic (CLDR ar-MA, Western digits).
func (l *Localizer) Number(n int) string {
	sep := ","
	switch l.lang {
	case French:
		sep = "\u202f"
	case Arabic:
		sep = "."
	}
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Duration writes d rounded down to the minute as hours and minutes with
// the catalog's plural forms ("1 h 30 min", "ساعة واحدة و 5 دقائق").
func (l *Localizer) Duration(d time.Duration) string {
	m := int(d / time.Minute)
	h, m := m/60, m%60
	switch {
	case h == 0:
		return l.Plural("duration.minutes", m, m)
	case m == 0:
		return l.Plural("duration.hours", h, h)
	}
	return l.T("duration.hours_and_minutes", l.Plural("duration.hours", h, h), l.Plural("duration.minutes", m, m))
}
