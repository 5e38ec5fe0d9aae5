package appliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
	"github.com/amane-dns/amane/policy"
)

// AcceptList checks a feed's list against this build's taxonomy and formats.
func AcceptList(l feed.List) error {
	if _, err := blocklist.ParseCategory(l.Category); err != nil {
		return err
	}
	_, err := blocklist.ParseFormat(l.Format)
	return err
}

// Subscriptions are the feeds the appliance takes: each [[feed]], then the
// helpline's, in that order (the index of a feed.Snapshot in the maps
// below), each with its own directory under state_dir/feeds.
func Subscriptions(cfg *configs.File) (cfgs []feed.Config, dirs []string) {
	for i, fc := range cfg.Feeds {
		cfgs = append(cfgs, fc)
		dirs = append(dirs, fmt.Sprintf("%d-%s", i, fc.Name))
	}
	if cfg.Helpline.Enabled() {
		cfgs = append(cfgs, cfg.Helpline.Feed())
		dirs = append(dirs, "helpline")
	}
	return cfgs, dirs
}

// LoadFeeds opens each subscribed feed and loads its verified copy from
// disk, as at a cold boot: no network. It returns the subscriptions (nil
// for a feed that could not be opened) and the copies that verified.
func LoadFeeds(log *slog.Logger, cfg *configs.File) ([]*feed.Subscription, map[int]feed.Snapshot) {
	return loadFeedsAt(log, cfg, time.Now)
}

// loadFeedsAt is LoadFeeds on the clock now: a manifest's times (issued,
// expires) are judged by the appliance's clock.
func loadFeedsAt(log *slog.Logger, cfg *configs.File, now func() time.Time) ([]*feed.Subscription, map[int]feed.Snapshot) {
	fcs, dirs := Subscriptions(cfg)
	subs, snaps := make([]*feed.Subscription, len(fcs)), map[int]feed.Snapshot{}
	for i, fc := range fcs {
		dir := filepath.Join(stateOrTemp(cfg), "feeds", dirs[i])
		sub, err := feed.New(fc, feed.Options{StateDir: dir, Accept: AcceptList, Logger: log, Now: now})
		if err != nil {
			log.Error("feed not subscribed", "feed", fc.URL, "err", err)
			continue
		}
		subs[i] = sub
		switch snap, err := sub.Load(); {
		case errors.Is(err, feed.ErrNoCopy):
			log.Info("feed not yet downloaded", "feed", sub.Name())
		case err != nil:
			log.Warn("feed copy on disk refused; waiting for a new one", "feed", sub.Name(), "err", err)
		default:
			snaps[i] = snap
		}
	}
	return subs, snaps
}

// startFeeds loads the feeds' verified copies (a cold boot filters with
// them before any network) and polls for new versions; a new version
// recompiles the lists. Changes to [[feed]] and [helpline] take a restart.
func (a *Appliance) startFeeds(ctx context.Context) {
	subs, snaps := loadFeedsAt(a.log, a.cfg, a.now)
	a.mu.Lock()
	a.feeds = snaps
	a.mu.Unlock()
	a.subs = subs
	fcs, _ := Subscriptions(a.cfg)
	for i, sub := range subs {
		if sub == nil {
			continue
		}
		go sub.Poll(ctx, fcs[i].PollInterval(), func(snap feed.Snapshot) { // Poll logs the update
			a.setFeed(i, snap)
			a.startLists()
		})
	}
}

// pollFeeds asks every feed for a new version now, as a reload does: an
// operator who knows the helpline just published need not wait an hour.
func (a *Appliance) pollFeeds() {
	for _, sub := range a.subs {
		if sub != nil {
			sub.PollNow()
		}
	}
}

// setFeed replaces feed i's copy. The map is copied, never changed in
// place: a list build reads the one it took without the lock.
func (a *Appliance) setFeed(i int, snap feed.Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := maps.Clone(a.feeds)
	next[i] = snap
	a.feeds = next
}

// inOrder returns the verified feed copies in subscription order.
func inOrder(feeds map[int]feed.Snapshot) []feed.Snapshot {
	idx := slices.Sorted(maps.Keys(feeds))
	out := make([]feed.Snapshot, len(idx))
	for i, k := range idx {
		out[i] = feeds[k]
	}
	return out
}

// feedSources turns verified feed copies into list sources, and returns
// the categories they make mandatory. Watch lists never block: they are
// only counted for the helpline, so they are left out here (watchSet).
func feedSources(feeds map[int]feed.Snapshot) ([]blocklist.SourceConfig, blocklist.Categories) {
	var srcs []blocklist.SourceConfig
	var mandatory blocklist.Categories
	for _, snap := range inOrder(feeds) {
		for _, l := range snap.Manifest.Lists {
			if l.Watch {
				continue
			}
			srcs = append(srcs, blocklist.SourceConfig{
				Name: snap.Manifest.Name + "/" + l.File, Category: l.Category, Format: l.Format, Path: snap.Path(l),
			})
		}
		for _, c := range snap.Manifest.MandatoryCategories() {
			if cat, err := blocklist.ParseCategory(c); err == nil {
				mandatory = mandatory.Add(cat)
			}
		}
	}
	return srcs, mandatory
}

// watchSet compiles the feeds' watch lists: names whose lookups are
// counted for the helpline and never blocked for being there. A list that
// does not read is left out, with a log line; the others still count.
func watchSet(log *slog.Logger, feeds map[int]feed.Snapshot) *blocklist.Set {
	b := blocklist.NewBuilder()
	for _, snap := range inOrder(feeds) {
		for _, l := range snap.Manifest.Lists {
			if !l.Watch {
				continue
			}
			cat, err1 := blocklist.ParseCategory(l.Category)
			format, err2 := blocklist.ParseFormat(l.Format)
			f, err3 := os.Open(snap.Path(l))
			if err := errors.Join(err1, err2, err3); err != nil {
				log.Error("watch list not loaded", "list", snap.Manifest.Name+"/"+l.File, "err", err)
				continue
			}
			_, err := b.Parse(b.AddList(snap.Manifest.Name+"/"+l.File, cat), f, format)
			f.Close()
			if err != nil {
				log.Error("watch list not loaded", "list", snap.Manifest.Name+"/"+l.File, "err", err)
			}
		}
	}
	set, err := b.Build()
	if err != nil {
		log.Error("watch lists not compiled", "err", err)
		return nil
	}
	return set
}

// HelplineContact is how a child reaches the helpline, from the feeds'
// contact details (the [helpline]'s own feed first), or nil when no feed
// gives any: what the block page shows.
func (a *Appliance) HelplineContact() *feed.Contact {
	a.mu.Lock()
	feeds := a.feeds
	a.mu.Unlock()
	snaps := inOrder(feeds)
	for i := len(snaps) - 1; i >= 0; i-- { // the helpline's feed is subscribed last
		if c := snaps[i].Manifest.Contact; c != nil {
			return c
		}
	}
	return nil
}

// feedCategories are the categories the feeds' (non-watch) lists fill.
func feedCategories(feeds map[int]feed.Snapshot) blocklist.Categories {
	var cats blocklist.Categories
	for _, snap := range inOrder(feeds) {
		for _, l := range snap.Manifest.Lists {
			if cat, err := blocklist.ParseCategory(l.Category); err == nil && !l.Watch {
				cats = cats.Add(cat)
			}
		}
	}
	return cats
}

// feedContacts are the helplines' own domains, from the feeds' contact
// details: exempt from bedtime, pauses and budgets (DESIGN.md), never
// from a mandatory category or a category some feed's list feeds (issue 9:
// one feed may not unblock what another lists).
func feedContacts(feeds map[int]feed.Snapshot) policy.Contacts {
	var c policy.Contacts
	for _, snap := range inOrder(feeds) {
		if snap.Manifest.Contact != nil {
			for _, d := range snap.Manifest.Contact.Domains {
				c.Domains = append(c.Domains, policy.ContactDomain{Name: d, Feed: snap.Manifest.Name})
			}
		}
	}
	c.FeedCategories = feedCategories(feeds)
	return c
}
