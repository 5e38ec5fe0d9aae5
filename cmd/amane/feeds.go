package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/feed"
)

// acceptList checks a feed's list against this build's taxonomy and formats.
func acceptList(l feed.List) error {
	if _, err := blocklist.ParseCategory(l.Category); err != nil {
		return err
	}
	_, err := blocklist.ParseFormat(l.Format)
	return err
}

// startFeeds loads each subscribed feed's verified copy from disk (a cold
// boot filters with it before any network) and polls for new versions; a
// new version rebuilds the lists. Changes to [[feed]] take a restart.
func (a *appliance) startFeeds(ctx context.Context) {
	for i, fc := range a.cfg.Feeds {
		dir := filepath.Join(stateOrTemp(a.cfg), "feeds", fmt.Sprintf("%d-%s", i, fc.Name))
		sub, err := feed.New(fc, feed.Options{StateDir: dir, Accept: acceptList, Logger: a.log})
		if err != nil {
			a.log.Error("feed not subscribed", "feed", fc.URL, "err", err)
			continue
		}
		switch snap, err := sub.Load(); {
		case errors.Is(err, feed.ErrNoCopy):
			a.log.Info("feed not yet downloaded", "feed", sub.Name())
		case err != nil:
			a.log.Warn("feed copy on disk refused; waiting for a new one", "feed", sub.Name(), "err", err)
		default:
			a.setFeed(i, snap)
		}
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

// feedSourcesLocked turns the verified feed copies into list sources, and
// returns the categories they make mandatory. Watch lists never block:
// they are only counted for the helpline, so they are left out here.
func (a *appliance) feedSourcesLocked() ([]blocklist.SourceConfig, blocklist.Categories) {
	var srcs []blocklist.SourceConfig
	var mandatory blocklist.Categories
	for i := range a.cfg.Feeds {
		snap, ok := a.feeds[i]
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
