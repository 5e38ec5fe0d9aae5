// Package alert tells parents, as it happens, what they asked to hear
// about: a child's device trying an abuse-listed or adult site or a way
// around the filter, a new device on the network, a budget used up, a
// child asking from the block page, a report the helpline acknowledged.
// It owns the rules, the rate limit and digest (one alert per kind and
// device per window, then one digest of the rest), the delivery by ntfy,
// e-mail (SMTP with STARTTLS) or a JSON webhook with retries, and the
// list of recent alerts the console shows. Nothing of it goes to the
// helpline.
package alert

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/amane-dns/amane/activity"
	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/policy"
)

// Alert is one alert, or one digest of several.
type Alert struct {
	Kind     string    `json:"kind"`
	Device   string    `json:"device"` // the device's name, or its address
	Profile  string    `json:"profile,omitempty"`
	Site     string    `json:"site,omitempty"`     // the name asked for, when there is one
	Category string    `json:"category,omitempty"` // a category id
	Note     string    `json:"note,omitempty"`     // what a child wrote on the block page
	At       time.Time `json:"at"`
	// More counts the alerts of the same kind and device that the rate
	// limit folded into this digest, the last at Last.
	More      int       `json:"more,omitempty"`
	Last      time.Time `json:"last,omitzero"`
	MoreSites []string  `json:"more_sites,omitempty"`
	Title     string    `json:"title"`
	Message   string    `json:"message"`
	// Sent lists the destinations that took it; Failed those that did
	// not after every retry.
	Sent   []string `json:"sent,omitempty"`
	Failed []string `json:"failed,omitempty"`
}

// Defaults of Options.
const (
	DefaultWindow = 10 * time.Minute
	recentAlerts  = 100 // kept for the console
	queueLen      = 64  // alerts waiting for delivery; more are dropped and logged
	maxMoreSites  = 5
)

// Options configure an Alerter.
type Options struct {
	Rules    []Config
	SMTP     SMTPConfig
	Language string // "en", "fr" or "ar"
	Location *time.Location
	Now      func() time.Time
	Log      *slog.Logger
	// Window is the rate limit: at most one alert per kind and device in
	// it, the rest in a digest at its end (DefaultWindow when zero).
	Window time.Duration
	// Backoff is the first wait before a retry, doubled each time (2 s
	// when zero); Tries the attempts per destination (5 when zero).
	Backoff time.Duration
	Tries   int
	// HTTP sends ntfy and webhook requests (nil: a client with a 10 s
	// timeout).
	HTTP *http.Client
	// Seen keeps the addresses new-device alerts were sent for; nil keeps
	// them in memory only.
	Seen SeenStore
}

// SeenStore remembers devices across restarts.
type SeenStore interface {
	Seen(key string) bool
	MarkSeen(key string, at time.Time)
}

// Alerter decides which events are alerts and delivers them. Observe and
// Raise never block; Run delivers.
type Alerter struct {
	opts  Options
	dests []ruleDest
	queue chan *Alert

	mu      sync.Mutex // guards following
	last    map[groupKey]time.Time
	pending map[groupKey]*Alert // folded alerts, sent when the window ends
	recent  []Alert             // newest last
	seen    map[netip.Addr]bool // in memory, beside Seen
}

type groupKey struct{ kind, device string }

type ruleDest struct {
	dest
	to    string
	kinds []string
}

// New returns an alerter; the rules must be valid.
func New(opts Options) *Alerter {
	if opts.Window == 0 {
		opts.Window = DefaultWindow
	}
	if opts.Backoff == 0 {
		opts.Backoff = 2 * time.Second
	}
	if opts.Tries == 0 {
		opts.Tries = 5
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	a := &Alerter{opts: opts, queue: make(chan *Alert, queueLen),
		last: map[groupKey]time.Time{}, pending: map[groupKey]*Alert{}, seen: map[netip.Addr]bool{}}
	for _, r := range opts.Rules {
		d, _ := parseTo(r.To)
		kinds := r.Events
		if len(kinds) == 0 {
			kinds = Kinds
		}
		a.dests = append(a.dests, ruleDest{dest: d, to: r.To, kinds: kinds})
	}
	return a
}

// Observe turns an answer into an alert when a rule says so. It is the
// activity log's Observer: it runs on the writer's goroutine.
func (a *Alerter) Observe(ev *activity.Event, id policy.Identity) {
	// A device with no name is called by its address, a string made
	// only for an alert: this runs for every answer.
	if id.Device == "" && a.newDevice(ev.Client.Addr, ev.At) {
		a.Raise(Alert{Kind: NewDevice, Device: ev.Client.Addr.String(), Profile: id.Profile, At: ev.At})
	}
	if !ev.Blocked() {
		return
	}
	al := Alert{Device: id.Device, Profile: id.Profile, At: ev.At}
	child := id.Child()
	switch {
	case ev.Why == policy.ByBudget:
		al.Kind, al.Category = BudgetSpent, firstCategory(ev.Categories)
	case !child:
		return
	case ev.Mandatory:
		al.Kind, al.Category = Abuse, firstCategory(ev.Categories)
	case ev.Categories.Has(blocklist.Adult):
		al.Kind, al.Category = Adult, blocklist.Adult.String()
	case ev.Why == policy.ByBypass || ev.Categories.Has(blocklist.Bypass):
		al.Kind, al.Category = Bypass, blocklist.Bypass.String()
	default:
		return
	}
	al.Site = ev.Name() // a string of its own, made only for an alert
	if al.Device == "" {
		al.Device = ev.Client.Addr.String()
	}
	a.Raise(al)
}

// newDevice reports whether addr asks for the first time.
func (a *Alerter) newDevice(addr netip.Addr, at time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[addr] {
		return false
	}
	a.seen[addr] = true
	if s := a.opts.Seen; s != nil {
		known := s.Seen(addr.String())
		s.MarkSeen(addr.String(), at)
		return !known
	}
	return true
}

func firstCategory(cs blocklist.Categories) string {
	if l := cs.List(); len(l) > 0 {
		return l[0].String()
	}
	return ""
}

// AskParent raises the block page's "ask a parent" for device and site.
func (a *Alerter) AskParent(device, profile, site, note string) {
	a.Raise(Alert{Kind: AskParent, Device: device, Profile: profile, Site: site, Note: note, At: a.opts.Now()})
}

// Raise sends al, unless an alert of its kind for its device went out
// less than a window ago: then it waits in that window's digest.
func (a *Alerter) Raise(al Alert) {
	if al.At.IsZero() {
		al.At = a.opts.Now()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := groupKey{al.Kind, al.Device}
	if last, ok := a.last[k]; ok && al.At.Sub(last) < a.opts.Window {
		p := a.pending[k]
		if p == nil {
			p = &al
			a.pending[k] = p
		}
		p.More++
		p.Last = al.At
		if al.Site != "" && len(p.MoreSites) < maxMoreSites && !slices.Contains(p.MoreSites, al.Site) {
			p.MoreSites = append(p.MoreSites, al.Site)
		}
		return
	}
	a.last[k] = al.At
	a.enqueueLocked(&al)
}

// enqueueLocked renders al, keeps it for the console and queues it.
func (a *Alerter) enqueueLocked(al *Alert) {
	al.render(a.opts.Language, a.opts.Location)
	a.recent = append(a.recent, *al)
	if len(a.recent) > recentAlerts {
		a.recent = slices.Delete(a.recent, 0, len(a.recent)-recentAlerts)
	}
	select {
	case a.queue <- al:
	default:
		a.opts.Log.Warn("alert dropped: deliveries are behind", "kind", al.Kind, "device", al.Device)
	}
}

// Digest sends the digests whose window has ended. Run calls it every
// minute; a test with a fake clock may.
func (a *Alerter) Digest() {
	now := a.opts.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, p := range a.pending {
		if now.Sub(a.last[k]) >= a.opts.Window {
			delete(a.pending, k)
			p.At = a.last[k] // the digest follows the alert that opened the window
			a.last[k] = now
			a.enqueueLocked(p)
		}
	}
}

// Recent returns the latest alerts, newest first, for the console.
func (a *Alerter) Recent() []Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Clone(a.recent)
	slices.Reverse(out)
	return out
}

// Run delivers queued alerts until ctx ends, and sends digests when their
// window ends.
func (a *Alerter) Run(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			a.Digest()
		case al := <-a.queue:
			a.deliver(ctx, al)
		}
	}
}

// deliver sends al to every destination whose rule has its kind,
// retrying each with backoff.
func (a *Alerter) deliver(ctx context.Context, al *Alert) {
	for _, d := range a.dests {
		if !slices.Contains(d.kinds, al.Kind) {
			continue
		}
		err := a.try(ctx, d, al)
		a.mu.Lock()
		a.noteLocked(al, d.to, err)
		a.mu.Unlock()
		if err != nil {
			a.opts.Log.Warn("alert not delivered", "to", redact(d), "kind", al.Kind, "err", err)
		}
	}
}

// noteLocked records the outcome in the console's copy of al.
func (a *Alerter) noteLocked(al *Alert, to string, err error) {
	for i := len(a.recent) - 1; i >= 0; i-- {
		r := &a.recent[i]
		if r.Kind == al.Kind && r.Device == al.Device && r.At.Equal(al.At) && r.More == al.More {
			if err != nil {
				r.Failed = append(r.Failed, redact(ruleDest{to: to}))
			} else {
				r.Sent = append(r.Sent, redact(ruleDest{to: to}))
			}
			return
		}
	}
}

func (a *Alerter) try(ctx context.Context, d ruleDest, al *Alert) error {
	wait := a.opts.Backoff
	var err error
	for i := range a.opts.Tries {
		if i > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(wait):
			}
			wait *= 2
		}
		if err = a.send(ctx, d.dest, al); err == nil || permanent(err) {
			return err
		}
	}
	return err
}
