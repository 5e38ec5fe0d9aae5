package appliance

import (
	"fmt"
	"log/slog"
	"reflect"
	"slices"

	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/resolver"
)

// Reload swaps in next, a configuration already decoded and validated
// (configs.Load). It builds the whole new state first — the resolver's
// settings, the lists when they changed, the policy — and swaps only if
// all of it compiled; otherwise it returns why, and the running
// configuration stays whole (issue 9: the settings were swapped before the
// policy compiled). What takes a restart is kept as it runs, with a
// warning.
func (a *Appliance) Reload(next *configs.File) error {
	running := a.Config()
	a.keepRestartOnly(running, next)
	rs, err := resolver.Compile(next.Resolver())
	if err != nil {
		return err
	}
	var b *listBuild
	a.mu.Lock()
	sel, feeds := a.catalog, a.feeds
	a.mu.Unlock()
	if !reflect.DeepEqual(next.Lists, running.Lists) || !sameFetch(sel, CatalogSelection(next, feeds)) {
		b = a.buildLists(next)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfg != running {
		rs.Discard()
		if b != nil {
			b.stop()
		}
		return fmt.Errorf("another reload ran meanwhile; this one changed nothing")
	}
	if b != nil && a.gen != b.gen {
		// A feed update began a newer build, with the running lists; the
		// new lists come with the next reload or update.
		b.stop()
		b = nil
	}
	lists := a.currentLocked()
	if b != nil {
		lists = b
	}
	pol, err := a.compileLocked(next, lists)
	if err != nil {
		rs.Discard()
		if b != nil {
			b.stop()
		}
		return err
	}
	if b != nil {
		a.adoptLocked(b)
	}
	a.h.Apply(rs)
	a.cfg = next
	a.setPolicyLocked(pol)
	if b != nil {
		a.logBuild(b)
	}
	if a.level != nil {
		var l slog.Level
		l.UnmarshalText([]byte(next.Log.Level))
		a.level.Set(l)
	}
	go a.pollFeeds()
	return nil
}

// keepRestartOnly copies into next what only a restart changes, with a
// warning for each.
func (a *Appliance) keepRestartOnly(running, next *configs.File) {
	if !slices.Equal(next.Server.Listen, running.Server.Listen) {
		a.log.Warn("server.listen changed: it takes effect at the next restart", "running", running.Server.Listen, "file", next.Server.Listen)
	}
	if next.StateDir != running.StateDir {
		a.log.Warn("state_dir changed: it takes effect at the next restart")
		next.StateDir = running.StateDir
	}
	if !reflect.DeepEqual(next.Feeds, running.Feeds) || next.Helpline != running.Helpline {
		a.log.Warn("[[feed]] or [helpline] changed: it takes effect at the next restart")
		next.Feeds, next.Helpline = running.Feeds, running.Helpline
	}
	if !slices.Equal(next.Identify.Leases, running.Identify.Leases) || next.Identify.Neighbours != running.Identify.Neighbours {
		a.log.Warn("identify.leases or identify.neighbours changed: it takes effect at the next restart")
	}
}

// SaveConsole writes what the parents' console set (configs.Console) to
// state_dir/console.toml and applies it by the normal reload. A change the
// configuration would refuse is not written: the problems come back keyed
// as in c ("profile[0].schedule[1].from"), for the page to show next to
// each field.
func (a *Appliance) SaveConsole(c configs.Console) error {
	a.consoleMu.Lock()
	defer a.consoleMu.Unlock()
	next, err := a.Config().WriteConsole(c)
	if err != nil {
		return err
	}
	if err := a.Reload(next); err != nil {
		return fmt.Errorf("saved, but not applied (it will be at the next restart): %w", err)
	}
	a.log.Info("console settings saved and applied", "file", next.ConsolePath())
	return nil
}
