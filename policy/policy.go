// Package policy decides, for one device and one name at one moment,
// whether the name is answered or blocked. It owns the profiles (presets,
// blocked categories, a profile's own allowed and denied names, weekly
// schedules), which device or network gets which profile, the default
// filter for everyone else, and the immutable snapshot the resolver reads
// once per query. Daily budgets, pause and safe search build on the same
// decision point.
//
// It works on lower-case names without a trailing dot, netip.Addr and
// time.Time, and never imports a DNS wire library.
//
// Decide runs on every answer, within PERFORMANCE.md's 300 ns. A
// snapshot changes nothing once built but one memo: each schedule keeps
// its verdict for the current minute, which only the clock can change, so
// that the calendar is worked out (and one small record allocated) once a
// minute, not once an answer.
package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/amane-dns/amane/blocklist"
	"github.com/amane-dns/amane/blocklist/catalog"
)

// Client is what the resolver knows about who is asking.
type Client struct {
	Addr   netip.Addr // unmapped
	MAC    [6]byte    // carried in EDNS option 65001 by a forwarder
	HasMAC bool
}

// Action is what a Decision tells the resolver to do.
type Action uint8

// The actions.
const (
	Allow   Action = iota // resolve normally
	Block                 // answer with the snapshot's BlockAnswer
	Rewrite               // answer with a CNAME to Target and Target's records
)

// Why says what blocked a name, for the answer's Extended DNS Error text
// and for explanations.
type Why uint8

// The reasons.
const (
	ByCategory Why = iota // a list of a blocked category
	ByDeny                // the profile's own deny list
	BySchedule            // a schedule blocking everything (bedtime, exam)
	ByBypass              // a name that turns on a device's own encrypted DNS
	ByPause               // a parent paused the device or its profile
	ByBudget              // the day's time budget for the category is spent
	ByService             // an app the profile or a schedule blocks by name
)

// Exempt says why a name escaped the family's rules (bedtime, pause,
// budgets, categories), for explanations. Nothing exempts a name from a
// mandatory category.
type Exempt uint8

// The exemptions.
const (
	NotExempt   Exempt = iota
	AlwaysAllow        // the configuration's always_allow
	Contact            // a helpline's own contact domain, from its feed
)

// budgetTTL caps answers in budgeted categories, so that a device keeps
// asking, and its use stays visible, minute by minute.
const budgetTTL = time.Minute

// bypassNames are the names by which devices decide to go around the
// local resolver. Each must get NXDOMAIN, whatever the block mode: an
// address, even 0.0.0.0, reads to Firefox as "DoH is allowed here".
var bypassNames = []string{
	"use-application-dns.net",               // Firefox's canary domain
	"mask.icloud.com", "mask-h2.icloud.com", // iCloud Private Relay
	"resolver.arpa", // DDR: _dns.resolver.arpa (RFC 9462)
}

// Decision is the outcome of Decide. It is a small value: the hot path
// copies it and never allocates for it.
type Decision struct {
	Action Action
	Why    Why
	// Categories are the categories that blocked the name.
	Categories blocklist.Categories
	// Mandatory is set when a mandatory category (abuse, or one a helpline
	// feed marks so) blocked it: the operator's rule, not a family's choice.
	Mandatory bool
	// Rule is the most specific list rule that matched, for explanations.
	Rule blocklist.RuleRef
	// TTLCap, when not zero, caps the TTL of the answer: the decision may
	// change then (a schedule boundary), so no device may cache it longer.
	TTLCap time.Duration
	// Target is the name a Rewrite answers with: a search engine's safe
	// host (a constant; no allocation).
	Target string
	// Use, when Budgeted, is the budget this answer spends time from: the
	// resolver records it (Decide itself changes nothing), unless Counted
	// says the budget already counts this minute for the device, which
	// one more use cannot change: a device asks many names a minute.
	Use      UseKey
	Budgeted bool
	Counted  bool
	// Exempt says which exemption let the name through, if any.
	Exempt Exempt
	// Service is 1 + the catalog index of the app that blocked the name
	// (ByService) or whose budget it spends, 0 for none: see ServiceID.
	Service uint16
}

// ServiceID is the catalog id of the decision's app ("tiktok"), or "".
func (d Decision) ServiceID() string {
	if d.Service == 0 {
		return ""
	}
	if all := catalog.Services(); int(d.Service) <= len(all) {
		return all[d.Service-1].ID
	}
	return ""
}

// Contacts are the helplines' own domains, from their feeds' contact
// details: a child must always reach them, at bedtime, in a pause, with
// a budget spent (DESIGN.md). They lift the family's rules only. A
// mandatory category blocks them still (issue 9: nothing lifts abuse),
// and so does any category a feed's list feeds: a feed's contact
// details may not unblock what another feed, another authority, lists.
type Contacts struct {
	Domains []ContactDomain
	// FeedCategories are the categories some feed's (non-watch) lists
	// feed. A contact domain listed in one of them loses its exemption and
	// is decided like any name: the Set does not say which feed listed a
	// name, so the exemption errs on the safe side.
	FeedCategories blocklist.Categories
}

// ContactDomain is one contact domain and the feed that declares it.
type ContactDomain struct {
	Name string
	Feed string
}

// Snapshot is one immutable, compiled policy. The resolver loads it with a
// single atomic read per query; a reload builds a new one and swaps it.
type Snapshot struct {
	set       *blocklist.Set       // never nil
	mandatory blocklist.Categories // blocked even where a list or profile allows
	names     flagSet              // the configuration's always_allow, the feeds' contact domains, the bypass names
	feedCats  blocklist.Categories // a contact domain is not exempt from these
	conflicts []string             // exempt names a mandatory category blocks
	services  *catalog.Matcher     // the built-in catalog's apps; never nil
	pauses    *Pauses              // nil: nothing can be paused
	usage     *Usage               // nil: budgets are never spent
	watch     *blocklist.Set       // nil: no watch lists
	loc       *time.Location
	id        identity
	answer    BlockAnswer
	profiles  map[string]*profile // by name, "default" included
}

// alwaysMandatory are blocked whatever any configuration says (DESIGN.md:
// child sexual abuse material is never a family's choice).
var alwaysMandatory = blocklist.CategoriesOf(blocklist.Abuse)

// NewSnapshot compiles cfg over set (nil: no lists). mandatory adds the
// categories helpline feeds mark mandatory; contacts are the helplines'
// own domains, exempt from the family's rules.
func NewSnapshot(cfg Config, set *blocklist.Set, mandatory blocklist.Categories, contacts Contacts) (*Snapshot, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set == nil {
		var err error
		if set, err = blocklist.NewBuilder().Build(); err != nil {
			return nil, err
		}
	}
	loc := time.Local
	if cfg.Timezone != "" {
		loc, _ = time.LoadLocation(cfg.Timezone)
	}
	profiles := map[string]*profile{}
	def, err := compileProfile(ProfileConfig{Name: "default", Block: cfg.Filter.Block})
	if err != nil {
		return nil, err
	}
	profiles["default"] = def
	for _, pc := range cfg.Profiles {
		if profiles[pc.Name], err = compileProfile(pc); err != nil {
			return nil, err
		}
	}
	var contactNames []string
	for _, c := range contacts.Domains {
		contactNames = append(contactNames, c.Name)
	}
	snap := &Snapshot{
		set: set, mandatory: mandatory | alwaysMandatory,
		names:    flagSet{}.add(cfg.AlwaysAllow, flagAlwaysAllow).add(contactNames, flagContact),
		feedCats: contacts.FeedCategories,
		loc:      loc, id: compileIdentity(&cfg, profiles), answer: cfg.Filter.answer(), services: catalog.DefaultMatcher(),
		profiles: profiles,
	}
	if cfg.Filter.BypassDefences {
		snap.names = snap.names.add(bypassNames, flagBypass)
	}
	for _, c := range contacts.Domains {
		if cats := snap.mandatoryAt(c.Name); cats != 0 {
			snap.conflicts = append(snap.conflicts, fmt.Sprintf("feed %q names %s as its contact, but a mandatory list (%s) blocks it: it stays blocked", c.Feed, c.Name, cats))
		}
	}
	for _, n := range cfg.AlwaysAllow {
		if cats := snap.mandatoryAt(n); cats != 0 {
			snap.conflicts = append(snap.conflicts, fmt.Sprintf("always_allow names %s, but a mandatory list (%s) blocks it: it stays blocked", n, cats))
		}
	}
	return snap, nil
}

// mandatoryAt returns the mandatory categories that block name.
func (s *Snapshot) mandatoryAt(name string) blocklist.Categories {
	m := s.set.Lookup(name)
	return (m.Categories | m.Allowed) & s.mandatory
}

// Conflicts lists the always-allowed and contact names that a mandatory
// category blocks all the same: each is a mistake someone must correct
// (a feed naming a listed domain as its contact, an always_allow that
// cannot be), to be logged as an error when the snapshot is published.
func (s *Snapshot) Conflicts() []string { return s.conflicts }

// Allowing returns the policy that allows everything but the mandatory
// categories: what amane does before any configuration, and in tests.
func Allowing() *Snapshot {
	s, err := NewSnapshot(Config{Filter: FilterConfig{BlockMode: "nxdomain", BlockTTL: time.Minute}}, nil, 0, Contacts{})
	if err != nil {
		panic(err)
	}
	return s
}

// WithPauses makes the snapshot honour p's pauses. Call it before the
// snapshot is published: after that it is immutable (p itself changes
// atomically underneath).
func (s *Snapshot) WithPauses(p *Pauses) *Snapshot {
	s.pauses = p
	return s
}

// WithNeighbours makes the snapshot identify devices by the MACs the
// leases and neighbour table give, with the same rule as WithPauses.
func (s *Snapshot) WithNeighbours(n *Neighbours) *Snapshot {
	s.id.neighbours = n
	return s
}

// Devices lists the devices the network knows, with the name a parent
// gave each ("" when not yet named), for `amane devices`.
func (s *Snapshot) Devices() []NamedNeighbour {
	if s.id.neighbours == nil {
		return nil
	}
	var out []NamedNeighbour
	for _, nb := range s.id.neighbours.List() {
		p, name := s.id.identify(Client{Addr: nb.Addr})
		out = append(out, NamedNeighbour{Neighbour: nb, Name: name, Profile: p.name})
	}
	return out
}

// NamedNeighbour is a Neighbour with what amane makes of it.
type NamedNeighbour struct {
	Neighbour
	Name    string // the configured device name, "" when unnamed
	Profile string
}

// WithUsage makes the snapshot read the day's use from u for budgets, with
// the same rule as WithPauses: before it is published.
func (s *Snapshot) WithUsage(u *Usage) *Snapshot {
	s.usage = u
	return s
}

// Targets reports whether name is a device or profile name that can be
// paused.
func (s *Snapshot) Targets(name string) bool {
	for _, d := range s.id.devices() {
		if d.name == name || d.profile.name == name {
			return true
		}
	}
	for _, n := range s.id.networks {
		if n.profile.name == name {
			return true
		}
	}
	return name == "default"
}

// WithWatch gives the snapshot the helpline's watch lists: names that are
// never blocked for being there, only counted (Watched). Call it before
// the snapshot is published.
func (s *Snapshot) WithWatch(set *blocklist.Set) *Snapshot {
	if set.Len() > 0 {
		s.watch = set
	}
	return s
}

// Watched returns the categories of the watch lists name is on, if any.
// It costs one lookup in a small set, and nothing without watch lists.
func (s *Snapshot) Watched(name string) blocklist.Categories {
	if s.watch == nil {
		return 0
	}
	return s.watch.Lookup(name).Categories
}

// ListedName returns the least specific suffix of name that the watch
// lists (watch) or the mandatory categories (otherwise) match: the listed
// domain a lookup fell under, which is what a report names, rather than
// the query, whose extra labels could say anything. It is "" when nothing
// matches. It is for reports, off the hot path.
func (s *Snapshot) ListedName(name string, watch bool) string {
	set, mask := s.set, s.mandatory
	if watch {
		set, mask = s.watch, ^blocklist.Categories(0)
	}
	if set == nil {
		return ""
	}
	name = strings.TrimSuffix(name, ".")
	for i := len(name) - 1; i >= 0; i-- {
		if i == 0 || name[i-1] == '.' {
			if set.Lookup(name[i:]).Categories&mask != 0 {
				return name[i:]
			}
		}
	}
	return ""
}

// AgeBand returns the age band of the profile c gets ("" when it has
// none), for reports whose owner chose to share it.
func (s *Snapshot) AgeBand(c Client) string {
	p, _ := s.id.identify(c)
	return p.ageBand
}

// Location is the time zone the snapshot reads schedules and days in.
func (s *Snapshot) Location() *time.Location { return s.loc }

// Set returns the compiled lists the snapshot decides with.
func (s *Snapshot) Set() *blocklist.Set { return s.set }

// BlockAnswer says how blocked names are answered.
func (s *Snapshot) BlockAnswer() BlockAnswer { return s.answer }

// ProfileName returns the name of the profile c gets ("default" for the
// [filter]), for explanations.
func (s *Snapshot) ProfileName(c Client) string {
	p, _ := s.id.identify(c)
	return p.name
}

// Decide returns what to do with a query for name (lower case, no trailing
// dot) of type qtype from c at now. name is only valid during the call: the
// hot path passes a view of a reused buffer, so Decide must not keep it.
//
// The order: the bypass defences; the mandatory categories, which nothing
// lifts (not always_allow, a contact domain, a list's exception or a
// profile's allow: issue 9); the always-allowed names and the helplines'
// contact domains, exempt from the rest; a pause; the profile's own deny
// list; the profile's own allow list; a schedule blocking everything; the
// categories the profile and the schedule in force block; a daily budget
// spent; then safe search, which rewrites what is allowed.
func (s *Snapshot) Decide(c Client, name string, qtype uint16, now time.Time) Decision {
	names := s.names.of(name)
	if names&flagBypass != 0 {
		return Decision{Action: Block, Why: ByBypass}
	}
	m := s.set.Lookup(name)
	if cats := (m.Categories | m.Allowed) & s.mandatory; cats != 0 {
		return Decision{Action: Block, Categories: cats, Mandatory: true, Rule: m.Rule}
	}
	if names&flagAlwaysAllow != 0 {
		return Decision{Action: Allow, Exempt: AlwaysAllow}
	}
	// A contact domain that some feed lists is no longer exempt: the
	// family's rules decide it like any name.
	if names&flagContact != 0 && m.Categories&s.feedCats == 0 {
		return Decision{Action: Allow, Exempt: Contact}
	}
	p, dev := s.id.identify(c)
	if end, paused := s.pauses.until(now, dev, p.name); paused {
		return Decision{Action: Block, Why: ByPause, TTLCap: end.Sub(now)}
	}
	lt := now.In(s.loc)
	all, schedCats, schedServices, next := p.schedule.at(lt)
	d := Decision{Action: Block, TTLCap: next, Rule: m.Rule}
	if p.deny.has(name) {
		d.Why = ByDeny
		return d
	}
	allowed := p.allow.has(name)
	if all && !allowed {
		d.Why = BySchedule
		return d
	}
	if cats := m.Categories & (p.block | schedCats); cats != 0 && !allowed {
		d.Categories = cats
		return d
	}
	// Apps by name: looked up only for a profile that names some, so that
	// the rest pay nothing for the catalog.
	var apps catalog.ServiceSet
	if !p.anyServices.Empty() && !allowed {
		sm := s.services.Lookup(name)
		apps = sm.Services
		if i := sm.In(p.services.Or(schedServices)); sm.Matched() && i >= 0 {
			d.Why, d.Service = ByService, uint16(i+1)
			return d
		}
	}
	// An allowed answer carries its categories too: the activity log counts
	// a child's time per category from them (issue 12).
	ok := Decision{Action: Allow, TTLCap: next, Categories: m.Categories}
	if len(p.budgets) > 0 && (m.Categories != 0 || !apps.Empty()) && !allowed {
		if spent, dd := s.budget(p, c, dev, m.Categories, apps, now, lt); spent {
			return dd
		} else if dd.Budgeted {
			ok.Use, ok.Budgeted, ok.Counted = dd.Use, true, dd.Counted
			if next == 0 || next > budgetTTL {
				ok.TTLCap = budgetTTL
			}
		}
	}
	if ok.Target = safeTarget(name, p.safe); ok.Target != "" {
		ok.Action = Rewrite
	}
	return ok
}

// budget checks the profile's budgets that cover cats: spent reports a
// budget used up for today (d blocks until local midnight); otherwise d
// says which budget the answer spends from, if any.
func (s *Snapshot) budget(p *profile, c Client, dev string, cats blocklist.Categories, apps catalog.ServiceSet, now, lt time.Time) (spent bool, d Decision) {
	for i, b := range p.budgets {
		if cats&b.cats == 0 && !apps.Intersects(b.services) {
			continue
		}
		key := UseKey{Device: dev, Budget: uint8(i)}
		if dev == "" {
			key.Addr = c.Addr
		}
		allowance := b.weekday
		if wd := lt.Weekday(); wd == time.Saturday || wd == time.Sunday {
			allowance = b.weekend
		}
		used, granted, counted := s.usage.used(key, now)
		if used >= allowance+granted {
			midnight := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, lt.Location())
			return true, Decision{Action: Block, Why: ByBudget, Categories: cats & b.cats,
				Service: uint16(apps.And(b.services).First() + 1), TTLCap: midnight.Sub(lt)}
		}
		d.Use, d.Budgeted, d.Counted = key, true, counted
	}
	return false, d
}

// Identity is who a client is, for the activity log: off the hot path.
type Identity struct {
	Device  string // the configured device name, "" when unnamed
	Profile string // "default" for the [filter]
	AgeBand string // "" when the profile has none
	// Quiet is set when the device or its profile chose activity = false.
	Quiet bool
}

// Child reports whether the identity's profile is for a child: an age
// band under adult. A profile without one (a school lab, the default
// filter) is not.
func (i Identity) Child() bool { return i.AgeBand != "" && i.AgeBand != "adult" }

// Identify returns who c is under this snapshot.
func (s *Snapshot) Identify(c Client) Identity {
	d := s.id.device(c)
	return Identity{Device: d.name, Profile: d.profile.name, AgeBand: d.profile.ageBand, Quiet: d.quiet || d.profile.quiet}
}

// Window is what a profile's schedule blocks at one moment, for the
// console's "bedtime until 07:00".
type Window struct {
	All        bool                 // everything is blocked (bedtime, exam)
	Categories blocklist.Categories // the categories blocked besides the profile's own (homework)
	Services   catalog.ServiceSet   // the apps blocked besides the profile's own
	Until      time.Time            // when that may change; zero when the profile has no schedule
}

// Active reports whether the window blocks anything.
func (w Window) Active() bool { return w.All || w.Categories != 0 || !w.Services.Empty() }

// ScheduleAt returns what the schedule of the profile called name blocks
// at now; ok is false for a profile the snapshot does not have.
func (s *Snapshot) ScheduleAt(name string, now time.Time) (w Window, ok bool) {
	p := s.profiles[name]
	if p == nil {
		return Window{}, false
	}
	lt := now.In(s.loc)
	all, cats, services, next := p.schedule.at(lt)
	w = Window{All: all, Categories: cats, Services: services}
	if next > 0 {
		w.Until = now.Add(next)
	}
	return w, true
}
