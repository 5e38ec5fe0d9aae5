package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
	"github.com/amane-dns/amane/configs"
)

// acceptList checks a feed's list against this build's taxonomy and formats.
func acceptList(l feed.List) error {
	if _, err := blocklist.ParseCategory(l.Category); err != nil {
		return err
	}
	_, err := blocklist.ParseFormat(l.Format)
	return err
}

// loadFeeds opens each subscribed feed and loads its verified copy from
// disk, as at a cold boot: no network. It returns the subscriptions (nil
// for a feed that could not be opened) and the copies that verified.
func loadFeeds(log *slog.Logger, cfg *configs.File) ([]*feed.Subscription, map[int]feed.Snapshot) {
	subs, snaps := make([]*feed.Subscription, len(cfg.Feeds)), map[int]feed.Snapshot{}
	for i, fc := range cfg.Feeds {
		dir := filepath.Join(stateOrTemp(cfg), "feeds", fmt.Sprintf("%d-%s", i, fc.Name))
		sub, err := feed.New(fc, feed.Options{StateDir: dir, Accept: acceptList, Logger: log})
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
// recompiles the lists. Changes to [[feed]] take a restart.
func (a *appliance) startFeeds(ctx context.Context) {
	subs, snaps := loadFeeds(a.log, a.cfg)
	a.mu.Lock()
	a.feeds = snaps
	a.mu.Unlock()
	for i, sub := range subs {
		if sub == nil {
			continue
		}
		fc := a.cfg.Feeds[i]
		go sub.Poll(ctx, fc.PollInterval(), func(snap feed.Snapshot) {
			a.log.Info("feed updated", "feed", sub.Name(), "version", snap.Manifest.Version)
			a.setFeed(i, snap)
			a.startLists()
		})
	}
}

func (a *appliance) setFeed(i int, snap feed.Snapshot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.feeds[i] = snap
}

func (a *appliance) feedSourcesLocked() ([]blocklist.SourceConfig, blocklist.Categories) {
	return feedSources(a.cfg, a.feeds)
}

// feedSources turns verified feed copies into list sources, and returns
// the categories they make mandatory. Watch lists never block: they are
// only counted for the helpline, so they are left out here.
func feedSources(cfg *configs.File, feeds map[int]feed.Snapshot) ([]blocklist.SourceConfig, blocklist.Categories) {
	var srcs []blocklist.SourceConfig
	var mandatory blocklist.Categories
	for i := range cfg.Feeds {
		snap, ok := feeds[i]
		if !ok {
			continue
		}
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

// feedDomains are the helpline's own domains, from the feeds' contact
// details: never blocked, not even at bedtime (DESIGN.md).
func feedDomains(cfg *configs.File, feeds map[int]feed.Snapshot) []string {
	var out []string
	for i := range cfg.Feeds {
		if snap, ok := feeds[i]; ok && snap.Manifest.Contact != nil {
			out = append(out, snap.Manifest.Contact.Domains...)
		}
	}
	return out
}
