package console

import (
	"net/http"

	"github.com/amane-dns/amane/internal/web"
	"github.com/amane-dns/amane/reports"
)

// The charts are inline SVG drawn on the server: no script, nothing the
// CSP must allow, and they print. Each is a horizontal bar chart of one
// table of reports.Stats, with the table itself beside it for screen
// readers and for copying figures into a slide.
const (
	chartWidth = 320 // viewBox units: about CSS pixels on a phone, so the text stays legible
	labelWidth = 130 // the label column
	valueWidth = 40  // the value after a bar
	barHeight  = 22
	barGap     = 8
)

// chart is one SVG chart, positions computed for the page's direction.
type chart struct {
	ID, Title     string // Title is a catalog key
	Width, Height int    // the viewBox
	Bars          []bar
}

// bar is one bar and its table row; positions are already mirrored for
// right to left.
type bar struct {
	reports.StatRow
	LabelKey                 string // the catalog key of the label; "" to show Key as it is
	Y, BarX, BarW, TextY     int
	LabelX, ValueX           int
	LabelAnchor, ValueAnchor string
}

func newChart(id, title, labels string, rows []reports.StatRow, rtl bool) chart {
	ch := chart{ID: id, Title: title, Width: chartWidth, Height: max(1, len(rows))*(barHeight+barGap) + barGap}
	var top uint64
	for _, r := range rows {
		top = max(top, r.Count)
	}
	span := chartWidth - labelWidth - valueWidth
	for i, r := range rows {
		b := bar{StatRow: r, Y: barGap + i*(barHeight+barGap)}
		switch {
		case labels == "category":
			b.LabelKey = "cat." + r.Key
		case labels == "band" && r.Key == reports.NoAgeBand:
			b.LabelKey = "console.no_age_band"
		}
		b.TextY = b.Y + barHeight/2 + 5
		if top > 0 {
			b.BarW = max(1, int(r.Count*uint64(span)/top))
		}
		// In left to right the label is at the left, the bar grows
		// rightwards; right to left mirrors both. The SVG itself is laid
		// out left to right (direction="ltr"), so "end" is always the
		// right edge whatever the page's direction.
		if rtl {
			b.LabelX, b.LabelAnchor = chartWidth-4, "end"
			b.BarX = chartWidth - labelWidth - b.BarW
			b.ValueX, b.ValueAnchor = b.BarX-4, "end"
		} else {
			b.LabelX, b.LabelAnchor = 4, "start"
			b.BarX = labelWidth
			b.ValueX, b.ValueAnchor = labelWidth+b.BarW+4, "start"
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

type statsData struct {
	Charts []chart
}

func (c *Console) stats(w http.ResponseWriter, r *http.Request) {
	s, err := c.o.Store.Stats()
	if err != nil {
		c.fail(w, r, err)
		return
	}
	rtl := web.Negotiate(r).Dir() == "rtl"
	c.page(w, r, web.View{Page: "stats", Nav: "stats", Data: statsData{Charts: []chart{
		newChart("by-category", "console.stats_by_category", "category", s.ByCategory, rtl),
		newChart("by-age-band", "console.stats_by_age_band", "band", s.ByAgeBand, rtl),
		newChart("by-month", "console.stats_by_month", "", s.ByMonth, rtl),
	}}})
}
