package catalog

// # Services
//
// A parent thinks "no TikTok on school nights", not "no tiktokcdn.com". The
// services half of this package is amane's built-in list of apps: each has
// a stable id ("tiktok", "free-fire"), names in English, French and Arabic,
// a group ("social", "games"...) and the domains the app itself uses. The
// data is services.json, embedded in the binary and read once; each domain
// there records its source (nextdns/services and v2fly/domain-list-community,
// both MIT, at pinned commits; a UT1 category or a cited page for the apps
// of North Africa and the Middle East that those catalogues miss), and what
// a source lists but amane leaves out is recorded with the reason.
//
// A service's domains are its own: shared infrastructure (google.com,
// gstatic.com, apple.com, facebook.com for anything but Facebook, Akamai,
// CloudFront and Fastly hosts whose name does not name the app) is never
// listed, so that blocking an app never breaks an unrelated one. A domain
// appears under two services only when the data says why (TikTok Lite runs
// on TikTok's back ends). One service's domain may sit under another's
// (Messenger's edge-chat.facebook.com under Facebook's facebook.com): a
// name then belongs to both, and blocking either blocks it.
//
// Policy selects services by id into a ServiceSet; the Matcher answers, for
// a query name and without allocating, which services own it.

import (
	"fmt"
	"slices"
	"strings"
)

// Service groups: the kinds of app a parent or a school blocks together.
// Groups lists them in display order.
const (
	GroupSocial    = "social"    // social networks, anonymous Q&A
	GroupChat      = "chat"      // messaging, calls, random video chat
	GroupVideo     = "video"     // user videos and live streaming
	GroupStreaming = "streaming" // films and series
	GroupMusic     = "music"     // music streaming
	GroupGames     = "games"     // games, launchers, game sites
	GroupDating    = "dating"    // dating apps
	GroupShopping  = "shopping"  // online shops
	GroupAI        = "ai"        // AI chatbots and generators
	GroupStores    = "stores"    // app stores outside Google Play and the App Store
)

// groupNames are the groups in display order with their labels in each
// language; a group not here is refused when the data loads.
var groupNames = []struct{ id, en, fr, ar string }{
	{GroupSocial, "Social networks", "Réseaux sociaux", "التواصل الاجتماعي"},
	{GroupChat, "Chat and calls", "Messagerie et appels", "الدردشة والمكالمات"},
	{GroupVideo, "Videos and live", "Vidéos et direct", "الفيديو والبث المباشر"},
	{GroupStreaming, "Films and series", "Films et séries", "الأفلام والمسلسلات"},
	{GroupMusic, "Music", "Musique", "الموسيقى"},
	{GroupGames, "Games", "Jeux", "الألعاب"},
	{GroupDating, "Dating", "Rencontres", "المواعدة"},
	{GroupShopping, "Shopping", "Achats en ligne", "التسوق"},
	{GroupAI, "Artificial intelligence", "Intelligence artificielle", "الذكاء الاصطناعي"},
	{GroupStores, "App stores", "Magasins d'applications", "متاجر التطبيقات"},
}

// Groups returns the ids of the service groups in display order.
func Groups() []string {
	out := make([]string, len(groupNames))
	for i, g := range groupNames {
		out[i] = g.id
	}
	return out
}

// GroupName returns group's label in lang ("en", "fr" or "ar"; anything
// else is English), or "" for an unknown group.
func GroupName(group, lang string) string {
	for _, g := range groupNames {
		if g.id == group {
			return pick(lang, g.en, g.fr, g.ar)
		}
	}
	return ""
}

func knownGroup(group string) bool {
	return slices.ContainsFunc(groupNames, func(g struct{ id, en, fr, ar string }) bool { return g.id == group })
}

// Service is one app of the catalog. Services are shared and read-only:
// never modify one.
type Service struct {
	// Index is the service's position in Services(): what a ServiceSet
	// holds and a Match returns. It is stable for one build of amane only;
	// configurations and records name services by ID.
	Index int `json:"-"`
	// ID is the stable name a configuration uses: lower case, digits and
	// single dashes ("free-fire").
	ID    string `json:"id"`
	Group string `json:"group"` // one of Groups()
	Names Names  `json:"names"`
	// Note says what a parent or a maintainer should know: partial
	// evidence, leaks, what blocking it also blocks.
	Note     string      `json:"note,omitempty"`
	Domains  []Domain    `json:"domains"` // at least one
	Excluded []Exclusion `json:"excluded,omitempty"`
}

// Names are a service's display names. None is empty.
type Names struct {
	EN string `json:"en"`
	FR string `json:"fr"`
	AR string `json:"ar"`
}

// Domain is a name a service uses: blocking the service blocks it and
// every name under it.
type Domain struct {
	// Name is lower case, without a trailing dot.
	Name string `json:"name"`
	// Sources say where the domain came from: "nextdns:FILE",
	// "v2fly:FILE", "ut1:PATH", "draft:ID" or "code:WHAT" (resolved by
	// the origins of services.json), or an https URL. Never empty.
	Sources []string `json:"sources"`
	// Shared, when set, says why this domain is listed under another
	// service too. A domain under two services without it is refused.
	Shared string `json:"shared,omitempty"`
}

// Exclusion is a domain a source lists for the service that amane leaves
// out, and why (shared infrastructure, a typo, another service's).
type Exclusion struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// Name returns the service's name in lang ("en", "fr" or "ar"; anything
// else is English).
func (s *Service) Name(lang string) string {
	return pick(lang, s.Names.EN, s.Names.FR, s.Names.AR)
}

func pick(lang, en, fr, ar string) string {
	switch lang {
	case "fr":
		return fr
	case "ar":
		return ar
	}
	return en
}

// Services returns every service of the built-in catalog, grouped in the
// order of Groups() and by id within a group; s.Index is s's position.
func Services() []*Service { return builtin().services }

// ByID returns the service called id ("tiktok"), if there is one. (A
// function cannot be called Service beside the type.)
func ByID(id string) (*Service, bool) {
	s, ok := builtin().byID[id]
	return s, ok
}

// InGroup returns the services of group, in the order of Services().
func InGroup(group string) []*Service {
	var out []*Service
	for _, s := range Services() {
		if s.Group == group {
			out = append(out, s)
		}
	}
	return out
}

// ParseServices returns the set of the services ids names, as a profile's
// block_services or a budget's services list them. An unknown id is an
// error naming it (and the group, when the id is one: "games" is a group,
// not a service), so that a typo never silently blocks nothing.
func ParseServices(ids []string) (ServiceSet, error) {
	var set ServiceSet
	var unknown []string
	for _, id := range ids {
		s, ok := ByID(strings.TrimSpace(id))
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		set.Add(s.Index)
	}
	if len(unknown) > 0 {
		hint := ""
		if knownGroup(unknown[0]) {
			hint = fmt.Sprintf(" (%q is a group: `amane services %s` lists its services)", unknown[0], unknown[0])
		}
		return set, fmt.Errorf("unknown service %q%s", strings.Join(unknown, `", "`), hint)
	}
	return set, nil
}
