package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/amane-dns/amane/bench/internal/harness"
)

// flood is the last step of the load test, after the miss phase: each
// server is sent, at full load, the unique names it lacks to have been sent
// cfg.floodTotal in all, and its RSS is read then. PERFORMANCE.md's target
// "RSS after a flood of 1M unique names" needs that many, and the miss
// phase alone sends about 650,000 with the default settings: without this
// step the table could not check it.
type flood struct {
	ran  bool  // the step ran for this server (it may have had nothing to send)
	p    perf  // the flood's dnsperf run; zero when nothing was left to send
	rss  int64 // VmRSS right after it
	miss int   // unique names the miss phase had sent before it
}

// total is every unique name the server was sent, the miss phase's and
// the flood's.
func (f flood) total() int { return f.miss + f.p.sent }

// runFlood runs the flood on every live server, each sent the names it
// lacks, in a file of its own: the same names, under a token of the
// flood's own (so that none was asked before), and fewer for a server
// that was sent more in the miss phase. A server too slow to take them
// within floodLimit stops there, and the table says how many it was sent.
func (b *bench) runFlood(ctx context.Context, parents []string) error {
	token := runToken() + "f"
	for _, p := range b.live() {
		f := flood{ran: true, miss: b.sent(p.name, "miss")}
		if need := b.cfg.floodTotal - f.miss; need > 0 {
			data := filepath.Join(p.dir, "flood.txt")
			if err := writeMissQueries(data, parents, token, need); err != nil {
				return err
			}
			l := load{data: data, duration: b.cfg.floodLimit, outstanding: b.cfg.missOutstanding, onePass: true}
			var err error
			f.p, err = runDnsperf(ctx, b.cfg.clientCPU, p.dir, "flood", l, p.port)
			os.Remove(data)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				b.fail(p, fmt.Sprintf("flood: %v", err))
				continue
			}
		}
		if !p.proc.Alive() {
			b.fail(p, fmt.Sprintf("flood: %v", p.proc.ExitError()))
			continue
		}
		f.rss, _, _ = harness.Memory(p.proc.PID())
		b.results[p.name].flood = f
		b.log.Info("flood", "server", p.name, "unique_names_in_all", f.total(), "qps", int(f.p.qps), "lost", f.p.lost,
			"rss_mb", fmt.Sprintf("%.1f", float64(f.rss)/mb))
	}
	return nil
}

// floodRows are the flood's figures: how many unique names each server was
// sent in all, and its RSS after them, with the target.
func (b *bench) floodRows() []row {
	t := &target{text: fmt.Sprintf("≤ 100 MB after %s unique names", count(targetFlood)), bound: 100 * mb, atMost: true}
	if a := b.results["amane"]; a != nil && a.flood.ran && a.flood.total() < targetFlood {
		t.skip = fmt.Sprintf("not checked: amane was sent %s unique names in all", count(float64(a.flood.total())))
	}
	return []row{
		{label: "unique names sent in all, miss phase and flood", format: count, noRatio: true,
			whole: func(r *results) (float64, bool) { return float64(r.flood.total()), r.flood.ran }},
		{label: "RSS after the flood of unique names (VmRSS)", lower: true, format: mbytes, target: t,
			whole: func(r *results) (float64, bool) { return float64(r.flood.rss), r.flood.ran && r.flood.rss > 0 }},
	}
}
