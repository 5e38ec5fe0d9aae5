package blocklist

import (
	"fmt"
	"math/bits"
	"strings"
)

// Category is one class of content in the fixed taxonomy of DESIGN.md.
// The numeric values are stable identifiers: they are stored on disk (usage,
// outbox) and sent in helpline reports, so a category is never renumbered or
// removed, and new ones are only appended before NumCategories.
type Category uint8

// The categories, in their stable order.
const (
	Abuse         Category = iota // child sexual abuse material
	Cyberviolence                 // harassment, doxxing, sextortion
	Adult                         // pornography and adult content
	Gambling
	Games
	Social // social networks
	Video  // video and streaming
	Chat   // chat and messaging
	Dating
	Drugs
	Violence
	Weapons
	Malware
	Phishing
	Scam
	Bypass // VPN, proxies, DoH resolvers: ways around the filter
	Ads
	Trackers
	Other
	NumCategories // the number of categories; not a category
)

// categoryIDs holds the stable text ids, in Category order. It is a constant
// string split on demand so that the package keeps no mutable state.
const categoryIDs = "abuse cyberviolence adult gambling games social video chat dating drugs " +
	"violence weapons malware phishing scam bypass ads trackers other"

// String returns the stable text id of c ("adult"), as used in configs and feeds.
func (c Category) String() string {
	if c >= NumCategories {
		return fmt.Sprintf("category(%d)", uint8(c))
	}
	return nthField(categoryIDs, ' ', int(c))
}

// Valid reports whether c is one of the taxonomy's categories.
func (c Category) Valid() bool { return c < NumCategories }

// ParseCategory returns the category whose text id is s, ignoring case and
// surrounding space.
func ParseCategory(s string) (Category, error) {
	id := strings.ToLower(strings.TrimSpace(s))
	for c := range NumCategories {
		if c.String() == id {
			return c, nil
		}
	}
	return 0, fmt.Errorf("parsing category %q: unknown category", s)
}

// Label returns the name of c for people, in English ("en"), French ("fr")
// or Arabic ("ar"). A region suffix ("fr-MA", "ar_MA") is ignored and any
// other language gets English, so a screen is never left without a label.
func (c Category) Label(lang string) string {
	en, fr, ar := c.labels()
	switch strings.ToLower(lang[:min(2, len(lang))]) {
	case "fr":
		return fr
	case "ar":
		return ar
	default:
		return en
	}
}

// labels is a switch rather than a table so that nothing at package level
// can be changed at run time.
func (c Category) labels() (en, fr, ar string) {
	switch c {
	case Abuse:
		return "Child sexual abuse material", "Contenus d'abus sexuels sur mineurs", "مواد الاعتداء الجنسي على الأطفال"
	case Cyberviolence:
		return "Cyberviolence", "Cyberviolence", "العنف الرقمي"
	case Adult:
		return "Adult content", "Contenus pour adultes", "محتوى للبالغين"
	case Gambling:
		return "Gambling", "Jeux d'argent", "القمار"
	case Games:
		return "Games", "Jeux vidéo", "الألعاب"
	case Social:
		return "Social networks", "Réseaux sociaux", "الشبكات الاجتماعية"
	case Video:
		return "Video and streaming", "Vidéo et streaming", "الفيديو والبث"
	case Chat:
		return "Chat and messaging", "Messagerie et chat", "الدردشة والمراسلة"
	case Dating:
		return "Dating", "Sites de rencontre", "مواقع المواعدة"
	case Drugs:
		return "Drugs", "Drogues", "المخدرات"
	case Violence:
		return "Violence and hate", "Violence et haine", "العنف والكراهية"
	case Weapons:
		return "Weapons", "Armes", "الأسلحة"
	case Malware:
		return "Malware", "Logiciels malveillants", "البرمجيات الخبيثة"
	case Phishing:
		return "Phishing", "Hameçonnage", "التصيد الاحتيالي"
	case Scam:
		return "Scams and fraud", "Arnaques et fraudes", "الاحتيال والنصب"
	case Bypass:
		return "Filter bypass (VPN, proxy, encrypted DNS)", "Contournement du filtrage (VPN, proxy, DNS chiffré)", "تجاوز التصفية (VPN، بروكسي، DNS مشفر)"
	case Ads:
		return "Advertising", "Publicité", "الإعلانات"
	case Trackers:
		return "Trackers", "Traceurs", "أدوات التتبع"
	case Other:
		return "Other", "Autre", "أخرى"
	}
	s := c.String()
	return s, s, s
}

// Categories is a set of categories, one bit per Category. A name listed in
// several lists carries the union of their categories, and a profile's
// blocked categories are one value of this type, so "is this name blocked
// for this child" is one AND.
type Categories uint32

// CategoriesOf returns the set holding cs.
func CategoriesOf(cs ...Category) Categories {
	var s Categories
	for _, c := range cs {
		s = s.Add(c)
	}
	return s
}

// Has reports whether c is in s.
func (s Categories) Has(c Category) bool { return c < NumCategories && s&(1<<c) != 0 }

// Add returns s with c added. Invalid categories are ignored.
func (s Categories) Add(c Category) Categories {
	if c >= NumCategories {
		return s
	}
	return s | 1<<c
}

// Remove returns s without c.
func (s Categories) Remove(c Category) Categories {
	if c >= NumCategories {
		return s
	}
	return s &^ (1 << c)
}

// Len returns the number of categories in s.
func (s Categories) Len() int { return bits.OnesCount32(uint32(s)) }

// List returns the categories in s in their stable order.
func (s Categories) List() []Category {
	out := make([]Category, 0, s.Len())
	for c := range NumCategories {
		if s.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// String returns the ids of the categories in s, comma-separated in stable
// order ("adult,gambling"), or "none".
func (s Categories) String() string {
	if s == 0 {
		return "none"
	}
	var b strings.Builder
	for _, c := range s.List() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// ParseCategories parses a comma-separated list of category ids, the inverse
// of Categories.String ("none" and "" are the empty set).
func ParseCategories(s string) (Categories, error) {
	var out Categories
	if t := strings.TrimSpace(s); t == "" || t == "none" {
		return 0, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		c, err := ParseCategory(part)
		if err != nil {
			return 0, err
		}
		out = out.Add(c)
	}
	return out, nil
}
